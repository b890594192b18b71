"""Read YAML keeping the parser's marks: every node's line and column, by document path.

The document is built straight from the parser's events (libyaml's when present), in one
loop with an explicit stack: no recursion, so no depth of nesting can overflow a stack, and
each alias is seen where it is written. That is where the limits are kept: at most
``MAX_DEPTH`` levels of nesting, and aliases may not expand to much more data than the
document holds itself (a "billion laughs" is stopped after about ten thousand nodes).

Scalars are resolved by PyYAML's own resolver and safe constructor, except timestamps: a
date stays the string it was written as, so YAML and JSON inventories mean the same thing.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from engine.inputs.credentials import looks_like_credential
from engine.inputs.diagnostics import Diagnostic, dotted
from engine.inputs.limits import ALIAS_FLOOR, ALIAS_RATIO, MAX_DEPTH, MAX_STRING
from engine.inputs.positions import LineIndex, Mark, MarkTable, Path

try:  # libyaml's parser when present, the pure-Python one otherwise
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"  # a plain '=': nothing but the string '=' here
_AS_WRITTEN = frozenset({_STR, _TIMESTAMP, _MERGE, _VALUE})
_IMPLICIT = Resolver.yaml_implicit_resolvers
_WILDCARD = _IMPLICIT.get(None, [])
# what PyYAML's reader (and libyaml's) refuses in a stream
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class YamlProblem(Exception):
    """A problem found while building the document (for example a duplicate key)."""

    def __init__(self, mark: Mark, message: str, path: Path) -> None:
        super().__init__(message)
        self.mark, self.message, self.path = mark, message, path


def too_deep() -> str:
    return f"nesting too deep (more than {MAX_DEPTH} levels)"


def string_too_long(length: int) -> str:
    return f"string too long ({length} characters; the limit is {MAX_STRING})"


def number_too_large() -> str:
    return f"number too large (more than {sys.get_int_max_str_digits()} digits)"


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message, a long one cut short, a credential not at all."""
    if isinstance(value, str) and looks_like_credential(value[:4096]):
        return f"[{len(value)} characters that look like a credential, not shown]"
    text = repr(value[: limit + 1] if isinstance(value, str) else value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 2]}…{text[-1]}" if isinstance(value, str) else f"{text[: limit - 1]}…"


def _mark(event: yaml.Event) -> Mark:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


def _short(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


class _Anchor:
    """An anchored node, as built: what an alias to it copies."""

    __slots__ = ("height", "marks", "raw", "size", "value")

    def __init__(self, value: Any, marks: list[tuple[Path, Mark]], size: int, height: int, raw: str | None) -> None:
        self.value, self.marks, self.size, self.height, self.raw = value, marks, size, height, raw


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("anchor", "container", "count", "height", "is_map", "key", "key_mark", "log", "path")

    def __init__(self, container: Any, path: Path, mark: Mark, anchor: str | None, count: int, log: int) -> None:
        self.container, self.path, self.anchor = container, path, anchor
        self.is_map = isinstance(container, dict)
        self.key: Any = _NO_KEY
        self.key_mark = mark
        self.count, self.log, self.height = count, log, 1


_NO_KEY = object()
_OPEN = _Anchor(None, [], 0, 0, None)  # an anchor whose node is still being built


def _copy(value: Any) -> Any:
    """A fresh copy of a built node (aliases never share containers)."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


class _Builder:
    """Data and marks from one document's events."""

    def __init__(self) -> None:
        self.marks: dict[Path, Mark] = {}
        self._constructor = SafeConstructor()
        self._plain: dict[str, Any] = {}  # a plain scalar as written -> its value (immutable)
        self._anchors: dict[str, _Anchor] = {}
        self._log: list[tuple[Path, Mark]] = []  # marks set while an anchored node is open
        self._logging = 0
        self._nodes = 0  # built, aliases' copies included
        self._copied = 0  # built by aliases

    # -- scalars -------------------------------------------------------------------------

    def scalar(self, event: yaml.ScalarEvent, path: Path) -> Any:
        value, tag = event.value, event.tag
        if len(value) > MAX_STRING:
            raise YamlProblem(_mark(event), string_too_long(len(value)), path)
        if tag is None or tag == "!":
            if event.implicit[0]:
                try:
                    return self._plain[value]
                except KeyError:
                    pass
                result = self._construct(_resolve(value), event, path)
                if len(value) <= 64:  # short values repeat (true, dates, ids of departments)
                    self._plain[value] = result
                return result
            tag = _STR
        if tag == _STR and event.style == '"' and not value.isascii():
            _check_surrogates(value, _mark(event), path)
        return self._construct(tag, event, path)

    def _construct(self, tag: str, event: yaml.ScalarEvent, path: Path) -> Any:
        if tag in _AS_WRITTEN:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, OverflowError):
            if tag == _INT and _too_many_digits(event.value):
                raise YamlProblem(_mark(event), number_too_large(), path) from None
            raise YamlProblem(_mark(event), f"{shown(event.value)} is not a valid {_short(tag)}", path) from None

    def key(self, event: yaml.Event, path: Path) -> Any:
        """A mapping key: a plain value, as a string."""
        if isinstance(event, yaml.AliasEvent):
            anchor = self._anchor(event, path)
            if isinstance(anchor.value, dict | list):
                raise YamlProblem(_mark(event), "a mapping key must be a plain value", path)
            key, raw = anchor.value, anchor.raw
        elif isinstance(event, yaml.ScalarEvent):
            if event.implicit[0] and event.tag is None and _resolve(event.value) == _MERGE:
                raise YamlProblem(_mark(event), "YAML merge keys (<<) are not supported", path)
            key, raw = self.scalar(event, path), event.value
            self.scalar_anchor(event.anchor, event, key, path)
        else:
            raise YamlProblem(_mark(event), "a mapping key must be a plain value", path)
        if not isinstance(key, str):
            key = str(key) if not isinstance(key, bool) and key is not None else raw
        return key

    # -- marks and aliases ---------------------------------------------------------------

    def set_mark(self, path: Path, mark: Mark) -> None:
        self.marks[path] = mark
        if self._logging:
            self._log.append((path, mark))

    def _anchor(self, event: yaml.AliasEvent, path: Path) -> _Anchor:
        anchor = self._anchors.get(event.anchor)
        if anchor is None:
            raise YamlProblem(_mark(event), f"invalid YAML: found undefined alias {event.anchor!r}", path)
        if anchor is _OPEN:
            raise YamlProblem(_mark(event), f"alias *{event.anchor} is inside the node it refers to", path)
        return anchor

    def alias(self, event: yaml.AliasEvent, path: Path, depth: int) -> tuple[Any, int]:
        """A copy of the aliased node (and its height), unless it expands too far."""
        anchor = self._anchor(event, path)
        if depth + anchor.height > MAX_DEPTH:
            raise YamlProblem(_mark(event), too_deep(), ())
        own = self._nodes - self._copied
        bound = max(ALIAS_FLOOR, ALIAS_RATIO * own)
        if self._copied + anchor.size > bound:
            raise YamlProblem(_mark(event), f"alias expands to more than {bound} nodes", path)
        self._copied += anchor.size
        self._nodes += anchor.size
        for inner, mark in anchor.marks:
            self.set_mark((*path, *inner), mark)
        return _copy(anchor.value), anchor.height

    def open_anchor(self, name: str | None, event: yaml.Event, path: Path) -> None:
        if name is None:
            return
        if name in self._anchors:
            raise YamlProblem(_mark(event), f"invalid YAML: found duplicate anchor {name!r}", path)
        self._anchors[name] = _OPEN
        self._logging += 1

    def close_anchor(self, frame: _Frame) -> None:
        if frame.anchor is None:
            return
        start = len(frame.path)
        inner = [(path[start:], mark) for path, mark in self._log[frame.log :]]
        self._anchors[frame.anchor] = _Anchor(frame.container, inner, self._nodes - frame.count, frame.height, None)
        self._logging -= 1
        if not self._logging:
            self._log.clear()

    def scalar_anchor(self, name: str | None, event: yaml.ScalarEvent, value: Any, path: Path) -> None:
        if name is None:
            return
        if name in self._anchors:
            raise YamlProblem(_mark(event), f"invalid YAML: found duplicate anchor {name!r}", path)
        self._anchors[name] = _Anchor(value, [], 1, 0, event.value)

    # -- the document --------------------------------------------------------------------

    def document(self, get_event: Any) -> Any:
        """Build the node whose events come next; ``get_event`` after its last one is left
        for the caller."""
        stack: list[_Frame] = []
        root: Any = None
        while True:
            event = get_event()
            kind = type(event)
            frame = stack[-1] if stack else None
            if frame is not None and (kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent):
                stack.pop()
                self.close_anchor(frame)
                if not stack:
                    return root
                parent = stack[-1]
                parent.height = max(parent.height, frame.height + 1)
                continue
            if frame is not None and frame.is_map and frame.key is _NO_KEY:
                key = self.key(event, frame.path)
                if key in frame.container:
                    raise YamlProblem(_mark(event), f"duplicate key {shown(key)}", (*frame.path, key))
                frame.key, frame.key_mark = key, _mark(event)
                self._nodes += 1
                continue
            if frame is None:
                path: Path = ()
                mark = _mark(event)
            elif frame.is_map:
                path, mark = (*frame.path, frame.key), frame.key_mark
            else:
                path, mark = (*frame.path, len(frame.container)), _mark(event)
            if kind is yaml.ScalarEvent:
                value = self.scalar(event, path)
                self.scalar_anchor(event.anchor, event, value, path)
                self._nodes += 1
                self.set_mark(path, mark)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(_mark(event), too_deep(), ())
                value = {} if kind is yaml.MappingStartEvent else []
                self.open_anchor(event.anchor, event, path)
                self.set_mark(path, mark)
                stack.append(_Frame(value, path, mark, event.anchor, self._nodes, len(self._log)))
                self._nodes += 1
            elif kind is yaml.AliasEvent:
                if frame is None:  # pragma: no cover - the parser refuses an alias before its anchor
                    raise YamlProblem(_mark(event), f"invalid YAML: found undefined alias {event.anchor!r}", path)
                value, height = self.alias(event, path, len(stack))
                frame.height = max(frame.height, height + 1)
                self.set_mark(path, mark)
            else:  # pragma: no cover - the parser sends only node events inside a document
                raise YamlProblem(_mark(event), "invalid YAML: unexpected event", path)
            if frame is None:
                root = value
                if kind is not yaml.MappingStartEvent and kind is not yaml.SequenceStartEvent:
                    return root
            elif frame.is_map:
                frame.container[frame.key] = value
                frame.key = _NO_KEY
            else:
                frame.container.append(value)


def _resolve(value: str) -> str:
    """The tag of a plain scalar (PyYAML's implicit resolvers, without path resolvers)."""
    for tag, regexp in _IMPLICIT.get(value[:1], []) + _WILDCARD:
        if regexp.match(value):
            return tag  # type: ignore[no-any-return]
    return _STR


def _too_many_digits(value: str) -> bool:
    limit = sys.get_int_max_str_digits()
    digits = value.replace("_", "").lstrip("+-")
    return bool(limit) and len(digits) > limit and digits.isdigit()


def _check_surrogates(value: str, mark: Mark, path: Path) -> None:
    """A double-quoted "\\ud800" (the pure-Python reader lets it through; libyaml does not)."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise YamlProblem(mark, f"unpaired surrogate \\u{ord(found.group()):04x} in a string", path)


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str) -> Diagnostic:
    """A character the YAML reader refuses, at its line and column, in one line."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:  # pragma: no cover - the reader and the pattern agree on what is refused
        return Diagnostic(file, 1, 1, f"invalid YAML: {exc.reason}")
    code = ord(found.group())
    what = "control character" if code < 0x20 or 0x7F <= code < 0xA0 else "character"
    line, col = LineIndex(text).mark(found.start())
    return Diagnostic(file, line, col, f"{what} U+{code:04X} is not allowed")


def _yaml_error(exc: yaml.YAMLError, text: str, file: str) -> Diagnostic:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_error(exc, text, file)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "exceeded maximum nesting depth" in problem:  # PyYAML >= 6.0.3 bounds flow nesting itself
            return Diagnostic(file, line, col, too_deep())
        return Diagnostic(file, line, col, f"invalid YAML: {problem}")
    return Diagnostic(file, 1, 1, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else exc}")


def parse_yaml(text: str, file: str) -> tuple[Any, MarkTable] | Diagnostic:
    """Parse one YAML document; a problem comes back as a Diagnostic, never an exception."""
    builder = _Builder()
    loader = None
    try:
        loader = _Loader(text)
        get_event = loader.get_event
        get_event()  # the stream's start
        if isinstance(loader.peek_event(), yaml.StreamEndEvent):
            return Diagnostic(file, 1, 1, "the file is empty: expected a mapping")
        get_event()  # the document's start
        data = builder.document(get_event)
        get_event()  # the document's end
        extra = get_event()
        if not isinstance(extra, yaml.StreamEndEvent):
            line, col = _mark(extra)
            return Diagnostic(
                file, line, col, "invalid YAML: expected a single document in the stream but found another document"
            )
    except YamlProblem as exc:
        return Diagnostic(file, exc.mark[0], exc.mark[1], exc.message, dotted(exc.path))
    except yaml.YAMLError as exc:
        return _yaml_error(exc, text, file)
    finally:
        if loader is not None:
            loader.dispose()
    return data, MarkTable(builder.marks)


def compose_marks(text: str) -> MarkTable | None:
    """Marks of a document fragment (used to find fields inside one JSON item)."""
    result = parse_yaml(text, "<fragment>")
    return None if isinstance(result, Diagnostic) else result[1]
