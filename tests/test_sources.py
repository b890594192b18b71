"""Reading input files: the digest is the file's, whichever way it is computed."""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path

import pytest

from engine.inputs import sources
from engine.inputs.diagnostics import Diagnostic


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("bom", [False, True])
def test_digest_and_data_whether_hashed_alongside_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool, bom: bool
) -> None:
    if parallel:  # big files are hashed on another thread while they are parsed
        monkeypatch.setattr(sources, "_HASH_IN_PARALLEL", 0)
    document = {"organisation": {"name": "Café"}, "accounts": [{"id": "a1", "platform": "x"}]}
    raw = (codecs.BOM_UTF8 if bom else b"") + json.dumps(document, ensure_ascii=False).encode()
    path = tmp_path / "org.json"
    path.write_bytes(raw)
    source = sources.read(path)
    assert not isinstance(source, Diagnostic)
    assert source.sha256 == hashlib.sha256(raw).hexdigest()
    assert source.data == document
    assert path.read_bytes() == raw  # never modified


def test_a_bad_big_file_is_still_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_HASH_IN_PARALLEL", 0)
    path = tmp_path / "org.json"
    path.write_bytes(b"\xff\xfe not utf-8")
    result = sources.read(path)
    assert isinstance(result, Diagnostic) and "not UTF-8" in result.message


def test_a_path_inside_a_json_item_is_found_near_its_id_as_by_walking_the_array() -> None:
    """Items found from their ids (one item decoded) are where walking the whole array puts
    them, even with nested objects before the id, braces in strings and escaped ids."""
    import json

    from engine.inputs.json_source import parse_json

    items = [
        {"meta": {"a": {"b": 1}}, "id": "t0", "notes": "{not json", "trained": 1},
        {"id": "t1", "notes": '}{ "id": "t2" }', "trained": 2},
        {"note": "{}", "id": "t\u00e92", "trained": {"x": [1, {"y": 2}]}},
        {"id": "t3", "trained": 4},
    ]
    lines = ",\n".join("  " + json.dumps(item) for item in items)
    text = '{"organisation": {"name": "X"},\n "training": [\n' + lines + "\n]}\n"
    _, fast = parse_json(text, "org.json")  # type: ignore[misc]
    _, walked = parse_json(text, "org.json")  # type: ignore[misc]
    walked._id_offsets = lambda key: None  # type: ignore[method-assign] # only the walk
    # inside items (an item itself is located at its id's line when the ids can be read off)
    paths = [("training", i, sub) for i in range(len(items)) for sub in ("trained", "notes", "id", "meta")]
    paths += [("training", 2, "trained", "x", 1, "y"), ("training", 0, "meta", "a", "b")]
    assert [fast.locate(p) for p in paths] == [walked.locate(p) for p in paths]
    assert fast.locate(("training", 3, "trained")) == (6, 16)
