"""YAML at speed for hand-written inventories: yaml-rs (Rust) reads the data, PyYAML
(``yaml_source``) stays the reference and gives every position.

yaml-rs reads a 10,000-account inventory an order of magnitude faster than libyaml through
PyYAML, refuses duplicate keys and bounds aliases, but it follows YAML 1.2 where PyYAML
follows 1.1, and it records no node positions. So it is used only where it must give the
very data ``parse_yaml`` gives, and everything else goes to ``parse_yaml``:

* before parsing, a C-speed look at the text: anchors, aliases, tags, directives, merge
  keys, escapes, a second document, characters YAML 1.1 reads as line breaks, characters
  PyYAML refuses, and plain numbers that the two versions read differently (leading
  zeros, ``0o``, exponents, ``-.5``) all send the file to ``parse_yaml``;
* any error from yaml-rs sends it there too, so an error is always PyYAML's, at PyYAML's
  position;
* after parsing, one walk over the data: a key that is not a string, a string that YAML 1.1
  would have read as a boolean or a number if written plain (``yes``, ``10:30``), nesting
  deeper than ``MAX_DEPTH`` or a string longer than ``MAX_STRING`` (the limits of
  ``engine.inputs.limits``, which ``parse_yaml`` reports at their position) send it there.

Positions cost a pass over libyaml's events, and only the files that need one pay it: the
:class:`LazyMarks` of a file read fast walks them (:func:`marks_of`, without building the
data again) the first time a position is asked for (a finding's location, a schema error).
"""

from __future__ import annotations

import re
import sys
from functools import cache
from typing import Any

import re2
import yaml

from engine.inputs.diagnostics import Diagnostic
from engine.inputs.limits import MAX_DEPTH, MAX_STRING
from engine.inputs.positions import Mark, MarkTable, Path
from engine.inputs.yaml_source import _AS_WRITTEN, _resolve, parse_yaml

try:
    import yaml_rs
except ImportError:  # pragma: no cover - yaml-rs is a dependency; without it PyYAML reads everything
    yaml_rs = None

# Whatever the fast path may not read the same: see the module's docstring. A false alarm
# only costs speed (the file goes to PyYAML); a miss would be a different document, which
# tests/test_yaml_fast.py holds against PyYAML on every case listed there.
#: A whole plain scalar that YAML 1.1 and 1.2 read differently (``Unit 0017`` is text to both):
#:   ``0[0-9oOxXbB_]``               017 (octal in 1.1), 0o17 (a string in 1.1), 0X1F
#:   ``\.[0-9]``                     -.5 (a string in 1.1)
#:   ``[0-9][0-9_]*\.?[0-9_]*[eE]``  1e3, 1.5e3 (strings in 1.1), 1.5E+3
#:   ``[0-9.]*_``                    _1 (a number to yaml-rs), 1_000, 0x1_F
#: ... up to the end of the scalar (:data:`_SCALAR_END`). The same text for Python's ``re`` and
#: for RE2, so whitespace is spelt out as Python's ``\s`` has it (RE2's is ASCII only).
_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_RISKY_NUMBER = r"[-+]?(?:0[0-9oOxXbB_]|\.[0-9]|[0-9][0-9_]*\.?[0-9_]*[eE]|[0-9.]*_)[^" + _SPACE + r",\[\]{}#]*"
_SCALAR_END = r"[ \t]*(?:$|#|[,\]}])"
#: ... where a scalar starts: after a value's ``:`` or an item's ``-`` (on the same line or
#: a later one), in a flow collection. (A key of that form is not a string to yaml-rs: the walk
#: refuses it.) Only whether there is one counts, so RE2 searches for it: in linear time, 20×
#: faster than ``re`` here (``re`` tries the alternatives again after every ``: `` of the text).
_NUMBER = re2.compile(
    r"(?m)(?:[:\-][ \t]|[:\-][ \t]*(?:#[^\n]*)?\n|[\[{])(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*" + _RISKY_NUMBER + _SCALAR_END
)
#: Each check runs only when its characters are in the text (most are rare): the text is
#: searched a few times at C speed, never character by character in Python.
_RARE: tuple[tuple[str, re.Pattern[str] | None], ...] = (
    ("&", re.compile(r"(?:^|[\s\[\]{},])&[^\s\[\]{},]", re.MULTILINE)),  # an anchor
    ("*", re.compile(r"(?:^|[\s\[\]{},])\*[^\s\[\]{},]", re.MULTILINE)),  # an alias
    ("!", re.compile(r"(?:^|[\s\[\]{},])!", re.MULTILINE)),  # a tag
    ("?", re.compile(r"(?:^|[\s\[\]{},])\?", re.MULTILINE)),  # an explicit key
    ("%", re.compile(r"^%", re.MULTILINE)),  # a directive
    (
        "|",
        re.compile(
            r"""[\[{,][ \t]*\|                  # not a plain scalar in a flow collection (PyYAML refuses it)
            | \|[-+]?[0-9] | \|[0-9]?\+        # a block scalar with an indentation indicator, or kept breaks
            | ^([ \t]*)[^\n#]*[ \t]\|-?[ \t]*(?:\#[^\n]*)?\n(?!\1[ \t]+\S)  # ... or empty
            """,
            re.MULTILINE | re.VERBOSE,
        ),
    ),
    (
        ">",
        re.compile(
            r"""[\[{,][ \t]*>
            | >[-+]?[0-9] | >[0-9]?\+
            | ^([ \t]*)[^\n#]*[ \t]>-?[ \t]*(?:\#[^\n]*)?\n(?!\1[ \t]+\S)
            """,
            re.MULTILINE | re.VERBOSE,
        ),
    ),
    ("<<", None),  # a merge key
    ("\\", None),  # an escape in a quoted scalar
    ("\x85", None),  # line breaks in YAML 1.1, not in 1.2
    ("\u2028", None),
    ("\u2029", None),
    ("\ufeff", None),  # a byte order mark inside the text
)
#: Block nesting that may be deep (yaml-rs recurses: 50,000 levels overflow its stack).
_DEEP = re.compile(r"^[ \t?:-]{96}", re.MULTILINE)
#: A risky number right after a comma: in a flow collection (``[1,017]``), not in text (``10,000``).
_AFTER_COMMA = re.compile(r",(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*" + _RISKY_NUMBER + "(?=" + _SCALAR_END + ")", re.MULTILINE)
#: A document marker (``---`` or ``...`` at the start of a line).
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=\s|$)", re.MULTILINE)
#: The one marker allowed: ``---`` starting the document, after comments or blank lines.
_LEADING_DOCUMENT = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*---(?=\s|$)")
_FLOW_LINE = re.compile(r"^[^\n]*[\[{][^\n]*$", re.MULTILINE)
#: What PyYAML's reader (and libyaml's) refuses in a stream (as ``yaml_source``).
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class LazyMarks:
    """Positions of a document read fast: composed by PyYAML when first asked for."""

    def __init__(self, text: str, file: str) -> None:
        self._text: str | None = text
        self._file = file
        self._table: MarkTable | None = None

    def _marks(self) -> MarkTable:
        if self._table is None:
            self._table = MarkTable(marks_of(self._text or ""))
            self._text = None  # the marks are all that is kept
        return self._table

    @property
    def composed(self) -> bool:
        return self._table is not None

    def locate(self, path: Path) -> Mark:
        return self._marks().locate(path)

    def locate_items(self, key: str, indices: list[int]) -> list[Mark]:
        return self._marks().locate_items(key, indices)


def marks_of(text: str) -> dict[Path, Mark]:
    """Every node's mark, as ``parse_yaml`` records them, for a document the fast path read.

    The same walk over libyaml's events as ``parse_yaml``'s builder, without building the
    data again (half the time): the fast path has made sure there is nothing a walk of marks
    must resolve (no anchors, aliases or tags; every key a string as written)."""
    marks: dict[Path, Mark] = {}
    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
    get_event = loader.get_event
    scalar, start_map, start_seq = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    try:
        get_event(), get_event()  # the stream's and the document's start
        # each open collection: [its path, a mapping?, the key awaiting its value (None: none),
        # that key's mark, its items so far]
        stack: list[list[Any]] = []
        while True:
            event = get_event()
            kind = type(event)
            if kind is not scalar and kind is not start_map and kind is not start_seq:  # a collection's end
                stack.pop()
                if not stack:
                    return marks
                continue
            start = event.start_mark
            if not stack:
                path: Path = ()
                mark = (start.line + 1, start.column + 1)
            else:
                frame = stack[-1]
                if frame[1]:
                    if frame[2] is None:  # a key
                        frame[2], frame[3] = event.value, (start.line + 1, start.column + 1)
                        continue
                    path, mark, frame[2] = (*frame[0], frame[2]), frame[3], None
                else:
                    path, mark = (*frame[0], frame[4]), (start.line + 1, start.column + 1)
                    frame[4] += 1
            marks[path] = mark
            if kind is not scalar:
                stack.append([path, kind is start_map, None, None, 0])
            elif not stack:
                return marks
    except yaml.YAMLError:  # pragma: no cover - yaml-rs read this very text
        return marks
    finally:
        loader.dispose()


def parse_yaml_fast(text: str, file: str) -> tuple[Any, MarkTable | LazyMarks] | Diagnostic:
    """``parse_yaml(text, file)``'s result: the same data (positions composed when first
    used), read by yaml-rs whenever it is sure to give the same."""
    data = fast_data(text)
    if data is None:
        return parse_yaml(text, file)
    return data, LazyMarks(text, file)


def fast_data(text: str) -> dict[str, Any] | None:
    """The document read by yaml-rs, or None where it might differ from ``parse_yaml``'s."""
    if yaml_rs is None or _deferred(text):
        return None
    try:
        data = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # any refusal: PyYAML's message and position are the reference
        return None
    if type(data) is not dict or not _same_as_pyyaml(data):
        return None
    return data


def _deferred(text: str) -> bool:
    """Whether the text holds anything the fast path may not read as PyYAML does."""
    for mark, pattern in _RARE:
        if mark in text and (pattern is None or pattern.search(text)):
            return True
    if _NOT_PRINTABLE.search(text):  # (first: RE2 is given text it can encode)
        return True
    if _NUMBER.search(text) or _DEEP.search(text) or _number_in_flow(text):
        return True
    if "---" in text or "..." in text:
        leading = _LEADING_DOCUMENT.match(text)
        return _MARKER.search(text, leading.end() if leading else 0) is not None
    return False


def _number_in_flow(text: str) -> bool:
    """Whether a risky number follows a comma inside a flow collection: one on the comma's
    line, or one that spans lines (then any such comma counts)."""
    commas = [m.start() for m in _AFTER_COMMA.finditer(text)]
    if not commas:
        return False
    for line in _FLOW_LINE.findall(text):
        if line.count("[") + line.count("{") != line.count("]") + line.count("}"):
            return True  # a flow collection over several lines (or brackets in text): be safe
    return any(not set("[{").isdisjoint(text[text.rfind("\n", 0, at) + 1 : at]) for at in commas)


#: The smallest number Python will not turn into text (PyYAML's reader refuses it; yaml-rs
#: builds it), or 0 without a limit.
_HUGE = 10 ** sys.get_int_max_str_digits() if sys.get_int_max_str_digits() else 0


def _same_as_pyyaml(root: dict[str, Any]) -> bool:
    """One walk (an explicit stack): keys are strings, no string is one YAML 1.1 reads
    differently when plain, no number too long to show, within the depth and string-length
    limits."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if type(node) is dict:
            for key, value in node.items():
                if type(key) is not str or _ambiguous(key):
                    return False
                kind = type(value)
                if kind is str:
                    if _ambiguous(value):
                        return False
                elif kind is dict or kind is list:
                    stack.append((value, depth + 1))
                elif kind is int and _HUGE and not -_HUGE < value < _HUGE:
                    return False
        else:
            for value in node:
                kind = type(value)
                if kind is str:
                    if _ambiguous(value):
                        return False
                elif kind is dict or kind is list:
                    stack.append((value, depth + 1))
                elif kind is int and _HUGE and not -_HUGE < value < _HUGE:
                    return False
    return True


#: First characters of the plain scalars YAML 1.1 reads as something other than a string.
_FIRST = frozenset("0123456789+-.yYnNtTfFoO~<=")


def _ambiguous(value: str) -> bool:
    if len(value) > MAX_STRING:
        return True
    return value[:1] in _FIRST and _read_differently(value)


@cache
def _read_differently(value: str) -> bool:
    """Whether ``value``, a string in yaml-rs's data, might have been a plain scalar that
    PyYAML reads as a boolean or a number: YAML 1.1 resolves it so, and YAML 1.2 (yaml-rs)
    reads it plain as this very string (``yes``, ``10:30``). A string that 1.2 would have
    read as something else was quoted, and is a string to both."""
    if _resolve(value) in _AS_WRITTEN:
        return False
    try:
        plain = yaml_rs.loads(value, parse_datetime=False)
    except Exception:
        return True
    return plain == value
