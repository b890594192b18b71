"""An ASCII JSON file is read without a decoded copy of its text: its bytes serve for positions.

Every position must be the one the decoded text gives (the reference: ``parse_json`` of the
text), whatever is asked: an item, a field inside an item, a field of the organisation, items
whose ids cannot be read off (the array is then walked), ids written with escapes, and the
position of a string over the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.inputs import limits
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.json_source import parse_json
from engine.inputs.sources import RawFile, parse

INVENTORY: dict[str, Any] = {
    "version": 1,
    "organisation": {"name": "X", "employees": 3, "governance_note": {"a": [1, {"b": 2}]}},
    "departments": [{"id": "mkt", "name": "Marketing"}, {"name": "Ops {braces} in a string", "id": "ops"}],
    "accounts": [
        {"id": "a1", "platform": "x", "department": "mkt", "admins": ["p", "q"]},
        {"id": "a\\u0032", "platform": "x", "links": {"k": [1, 2]}},
        {"id": "a3", "platform": "x", "notes": "a { brace and } another"},
    ],
    "documents": [{"id": "d1", "nested": {"id": "not-an-item", "k": [1, 2]}}, {"id": "d2"}],
    "tools": [{"name": "no id"}, {"name": "no id either", "departments": ["mkt"]}],
}

PATHS: list[tuple[Any, ...]] = [
    ("organisation",),
    ("organisation", "employees"),
    ("organisation", "governance_note", "a", 1, "b"),
    ("departments", 1),
    ("departments", 1, "name"),
    ("departments", 1, "id"),
    ("accounts", 0),
    ("accounts", 0, "admins", 1),
    ("accounts", 1),
    ("accounts", 1, "links", "k", 0),
    ("documents", 0, "nested", "k", 1),
    ("documents", 1),
    ("accounts", 2, "notes"),
    ("tools", 0),
    ("tools", 1, "departments", 0),
    ("absent",),
]


def _both(text: str) -> tuple[Any, Any]:
    """The positions of ``text`` read from its bytes (as an input file is), and from its text."""
    raw = text.encode("ascii")
    source = parse(RawFile("org.json", ".json", raw), digest=False)
    reference = parse_json(text, "org.json", raw)
    assert not isinstance(source, Diagnostic) and not isinstance(reference, Diagnostic)
    assert source.data == reference[0]
    return source.positions, reference[1]


@pytest.mark.parametrize("indent", [None, 1, 4])
def test_positions_from_the_bytes_are_those_of_the_text(indent: int | None) -> None:
    text = json.dumps(INVENTORY, indent=indent).replace("a\\\\u0032", "a\\u0032")  # an id written with an escape
    from_bytes, from_text = _both(text)
    assert isinstance(from_bytes._text, bytes)  # no decoded copy kept
    for path in PATHS:
        assert from_bytes.locate(path) == from_text.locate(path), path
    for path, needle in [(("departments", 1, "name"), '"name": "Ops'), (("accounts", 2, "notes"), '"notes"')]:
        offset = text.index(needle)  # the key of the field, as YAML marks it
        assert from_bytes.locate(path) == (text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
    for key, count in (("accounts", 3), ("departments", 2), ("tools", 2), ("documents", 2)):
        indices = list(range(count))[::-1]
        assert from_bytes.locate_items(key, indices) == from_text.locate_items(key, indices), key


def test_a_string_over_the_limit_is_located_alike() -> None:
    notes = "n" * (limits.MAX_STRING + 1)
    text = json.dumps({"organisation": {"name": "X"}, "accounts": [{"id": "a", "notes": notes}]}, indent=2)
    raw = text.encode("ascii")
    found = parse(RawFile("org.json", ".json", raw), digest=False)
    assert isinstance(found, Diagnostic) and found == parse_json(text, "org.json", raw)
    assert (found.line, found.col, found.path) == (6, 5, "accounts[0].notes")  # as the text has it


def test_a_file_that_is_not_ascii_or_not_on_the_fast_path_is_read_as_text() -> None:
    for text in ('{"organisation": {"name": "Caf\u00e9"}}', '{"organisation": {"name": "x"}, "a": 1, "a": 2}'):
        source = parse(RawFile("org.json", ".json", text.encode("utf-8")), digest=False)
        if isinstance(source, Diagnostic):
            assert source.message == "invalid JSON: duplicate key 'a'"
        else:
            assert isinstance(source.positions._text, str)
    assert parse(RawFile("org.json", ".json", b"  \n "), digest=False) == Diagnostic(
        "org.json", 1, 1, "the file is empty"
    )


def test_the_fast_path_is_tried_once_when_it_says_no(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ASCII file the fast path refuses (here a key twice) goes to the exact walk without a
    second fast attempt on the decoded text: a large bad file costs one fast pass, not two."""
    import engine.inputs.json_source as json_source

    calls: list[type] = []
    fast_walk = json_source._fast_walk

    def counted(text: str | bytes, raw: bytes) -> Any:
        calls.append(type(text))
        return fast_walk(text, raw)

    monkeypatch.setattr(json_source, "_fast_walk", counted)
    text = '{"organisation": {"name": "x"},\n "accounts": [{"id": "a", "id": "b"}]}'
    found = parse(RawFile("org.json", ".json", text.encode("ascii")), digest=False)
    assert found == Diagnostic("org.json", 2, 27, "invalid JSON: duplicate key 'id'", "accounts[0].id")
    assert calls == [bytes]
