"""Text from the inputs made safe for where it lands: one function per medium.

An inventory or a policy pack is written by people we do not control, and what smgov writes
lands in a terminal, a pull-request comment, a CI parser or a spreadsheet. Every command
that writes one of these media (``check``'s renderers, ``diff``, ``policy impact``, ``plan``,
``trend``) passes each value from the inputs through the one function for it here:

- :func:`terminal`: control characters (C0 but tab and newline, DEL, C1: the ESC of every
  CSI/OSC sequence, a lone CR that rewrites a line) and the bidirectional overrides that
  reorder what is shown are written as ``\\uXXXX``;
- :func:`xml`: that, plus every character XML 1.0 forbids (``U+FFFE``, ``U+FFFF``, surrogates);
- :func:`markdown` / :func:`code`: inline GitHub-flavoured Markdown that renders as exactly
  the text: markup and HTML escaped, and the words GitHub turns into actions or links outside
  the Markdown itself (``@mentions``, ``#123`` references, bare URLs and e-mail addresses)
  broken by an invisible word joiner (U+2060) so that they read the same but ping and link
  nothing;
- :func:`csv_cell`: a cell a spreadsheet will not run as a formula (OWASP: a leading ``'``
  before ``= + - @``, tab or CR) with control characters made visible.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters other than tab and newline, and the Unicode bidirectional
#: embeddings, overrides and isolates (they reorder a line as displayed: "Trojan Source").
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: What XML 1.0 forbids beyond those (tab, newline and CR aside, they are all in _CONTROL).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal(text: str) -> str:
    """``text`` with every control character (but tab and newline) and bidi override shown as
    ``\\uXXXX``: nothing in it can move the cursor, recolour, retitle, write the clipboard or
    reorder what a terminal shows."""
    return _CONTROL.sub(_escaped, text)


def one_line(text: str) -> str:
    """``terminal(text)`` on a single line: for table cells and attributes."""
    return " ".join(terminal(text).split())


def xml(text: str) -> str:
    """``text`` with every character XML 1.0 forbids (and every control character) shown as
    ``\\uXXXX``; the XML writer escapes ``<``, ``&`` and quotes."""
    return _NOT_XML.sub(_escaped, text)


# CommonMark: any ASCII punctuation may be backslash-escaped. These can start markup
# anywhere in a line or a table ('&' an entity, '$' GitHub's maths; '!' needs none: the '[' of
# an image is escaped); the block markers ('#', '+', '-', '=', '1.') matter only at the start of a line.
_SPECIAL = re.compile(r"([\\`*\[\]<>|~$]|&(?=#?\w+;)|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_BLOCK_START = re.compile(r"^(\d*)([#+=.)-])")
_JOINER = "\u2060"
#: What GitHub links or acts on in text, beyond Markdown: a mention or an e-mail address
#: (``@``), an issue or pull request (``#12``, ``GH-12``), a URL with or without its scheme.
_ACTIVE = re.compile(r"(@)(?=\w)|(#)(?=\d)|(?<![\w])(GH)(?=-\d)|(?<![\w])(https?|ftp|www)(?=://|\.)", re.IGNORECASE)


def _inert(match: re.Match[str]) -> str:
    return match.group() + _JOINER


def markdown(text: str) -> str:
    """Inline Markdown text that renders as exactly ``text`` (on one line), and that pings,
    links and embeds nothing."""
    escaped = _SPECIAL.sub(r"\\\1", one_line(text))
    escaped = _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)
    return _ACTIVE.sub(_inert, escaped)


_URL = re.compile(r"https?://[^\s;,)]+[^\s;,.)]")


def citation(text: str) -> str:
    """Inline Markdown for a citation: its words as :func:`markdown`, each URL in it as a code
    span, so the address reads and copies whole but is not a live link."""

    def words(part: str) -> str:  # markdown() trims a text's ends: keep the spaces around a URL
        inner = part.strip()
        return (" " if part[:1].isspace() else "") + markdown(inner) + (" " if part[-1:].isspace() and inner else "")

    parts, last = [], 0
    for found in _URL.finditer(text):
        parts += [words(text[last : found.start()]), code(found.group())]
        last = found.end()
    return "".join([*parts, words(text[last:])])


def code(text: str, cell: bool = False) -> str:
    """An identifier as a code span (a backtick in it becomes ``'``: it would end the span; in
    a table cell ``|`` is escaped, which GFM honours even inside code). Nothing inside a code
    span is a mention or a link."""
    inner = one_line(text).replace("`", "'")
    return f"`{inner.replace('|', chr(92) + '|') if cell else inner}`"


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: control characters visible, and a leading
    ``'`` before a formula character (``= + - @``, tab, CR), as OWASP advises."""
    shown = terminal(text)
    return "'" + shown if shown.startswith(_FORMULA) else shown
