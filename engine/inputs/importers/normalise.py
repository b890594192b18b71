"""Reading one cell into one field's value, saying what was done to it.

Every function returns the value (None: left empty) and the notes on it: ``(kind, code,
message)`` with kind ``dropped`` (the value was left out), ``changed`` (rewritten by a rule
the user did not write down) or ``doubtful`` (kept, but it may be wrong). A value the
mapping maps explicitly (``values:``, a single date format) is the user's own rule, not a
guess, and is not reported."""

from __future__ import annotations

import datetime as dt
import re
from difflib import get_close_matches
from html.parser import HTMLParser
from typing import Any

from engine.inputs.diagnostics import shown
from engine.inputs.importers.mapping import Fill, _fold
from engine.inputs.schemas import EMAIL_PATTERN, URL_PATTERN

Note = tuple[str, str, str]  # (kind, code, message)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")
_TRUE = frozenset({"true", "yes", "y", "1", "x", "oui", "o", "vrai", "ja", "si", "sí"})
_FALSE = frozenset({"false", "no", "n", "0", "non", "faux", "nein"})
_SPLIT = re.compile(r"\s*[;,\n]\s*")
_EMAIL = re.compile(EMAIL_PATTERN)
_URL = re.compile(URL_PATTERN)


class _Text(HTMLParser):
    """The text of an HTML fragment, and its first link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and self.href is None:
            self.href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(fragment: str, link: bool = False) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    if link and parser.href:
        return parser.href
    return " ".join("".join(parser.parts).split())


def cell_text(fill: Fill, value: Any) -> Any:
    """The cell before typing: HTML text, the pattern's group, surrounding spaces removed;
    None when empty. Lists and booleans stay as they are."""
    if value is None:
        return None
    if isinstance(value, (bool, dt.date, list)):
        return value or None if isinstance(value, list) else value
    text = value if isinstance(value, str) else str(value)
    if fill.html:
        text = html_text(text, link=fill.name == "url")
    if fill.pattern is not None:
        found = fill.pattern.search(text)
        if found:
            text = found.group(1) if found.groups() else found.group(0)
    text = text.strip()
    return text or None


def typed(fill: Fill, value: Any) -> tuple[Any, list[Note]]:
    """A cell's text (or a JSON value) as the field's value, by the field's kind."""
    if isinstance(value, str) and fill.values:
        mapped = fill.values.get(_fold(value), _MISSING)
        if mapped is not _MISSING:
            return mapped, []
    kind = fill.kind
    if kind == "boolean":
        return _boolean(fill, value)
    if kind == "date":
        return read_date(value, fill.dates, fill.name)
    if kind in ("integer", "number"):
        return _number(fill, value)
    if kind == "array":
        items = (
            value
            if isinstance(value, list)
            else _SPLIT.split(str(value))
            if not fill.split
            else str(value).split(fill.split)
        )
        kept = [str(i).strip() for i in items if i is not None and str(i).strip()]
        return (list(dict.fromkeys(kept)) or None), []
    text = (
        value.isoformat()
        if isinstance(value, dt.date)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
    if fill.enum:
        return _enum(fill, text)
    if fill.declared == "email" and not _EMAIL.match(text):
        message = f"{fill.name}: {shown(text)} is not an e-mail address; left empty"
        return None, [("dropped", "email-unreadable", message)]
    if fill.declared == "url" and not _URL.match(text):
        if _URL.match(f"https://{text}"):
            return f"https://{text}", [("changed", "url-scheme", f"{fill.name}: {shown(text)} read as https://{text}")]
        return None, [("dropped", "url-unreadable", f"{fill.name}: {shown(text)} is not a web address; left empty")]
    return text, []


_MISSING = object()


def _boolean(fill: Fill, value: Any) -> tuple[Any, list[Note]]:
    if isinstance(value, bool):
        return value, []
    word = str(value).strip().casefold()
    if word in _TRUE:
        return True, []
    if word in _FALSE:
        return False, []
    message = f"{fill.name}: {shown(value)} is not a yes/no value; left empty (map it under values:)"
    return None, [("dropped", "boolean-unreadable", message)]


def _number(fill: Fill, value: Any) -> tuple[Any, list[Note]]:
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        return None, [("dropped", "number-unreadable", f"{fill.name}: {shown(value)} is not a number; left empty")]
    if fill.kind == "integer":
        if not number.is_integer():
            return None, [
                ("dropped", "number-unreadable", f"{fill.name}: {shown(value)} is not a whole number; left empty")
            ]
        return int(number), []
    return (int(number) if number.is_integer() else number), []


def _enum(fill: Fill, text: str) -> tuple[Any, list[Note]]:
    if text in fill.enum:
        return text, []
    by_fold = {_fold(v): v for v in fill.enum if isinstance(v, str)}
    found = by_fold.get(_fold(text)) or by_fold.get(_fold(text).replace(" ", "_"))
    if found is not None:
        return found, [("changed", "value-spelling", f"{fill.name}: {shown(text)} read as {shown(found)}")]
    close = get_close_matches(_fold(text), list(by_fold), n=1)
    hint = f" (did you mean {by_fold[close[0]]!r}?)" if close else ""
    allowed = ", ".join(map(str, fill.enum))
    message = f"{fill.name}: {shown(text)} is not one of {allowed}{hint}; left empty (map it under values:)"
    return None, [("dropped", "value-unknown", message)]


def read_date(value: Any, formats: tuple[str, ...], name: str) -> tuple[str | None, list[Note]]:
    """A date as ``YYYY-MM-DD``: a date cell, an ISO date, or by the formats in order.
    Two formats that read it as different days make it doubtful (the first one wins)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), []
    if isinstance(value, dt.date):
        return value.isoformat(), []
    text = str(value).strip()
    if _ISO.match(text):
        try:
            return dt.date.fromisoformat(text).isoformat(), []
        except ValueError:
            return None, [("dropped", "date-unreadable", f"{name}: {shown(text)} is not a real day; left empty")]
    stamp = _ISO_TIME.match(text)
    if stamp:
        try:
            return dt.date.fromisoformat(stamp.group(1)).isoformat(), []
        except ValueError:
            pass
    readings: dict[str, str] = {}
    for pattern in formats:
        try:
            readings.setdefault(dt.datetime.strptime(text, pattern).date().isoformat(), pattern)
        except ValueError:
            continue
    if not readings:
        tried = f" by {', '.join(formats)}" if formats else " (only ISO dates, YYYY-MM-DD: add dates: to the mapping)"
        return None, [("dropped", "date-unreadable", f"{name}: {shown(text)} is not a date{tried}; left empty")]
    first = next(iter(readings))
    if len(readings) > 1:
        others = ", ".join(readings)
        return first, [
            ("doubtful", "date-ambiguous", f"{name}: {shown(text)} is ambiguous ({others}); read as {first}")
        ]
    if len(formats) > 1:
        return first, [("changed", "date-format", f"{name}: {shown(text)} read as {first} ({readings[first]})")]
    return first, []
