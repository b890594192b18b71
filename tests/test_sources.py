"""Reading input files: the digest is the file's, whichever way it is computed."""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path

import pytest

from engine import sources
from engine.diagnostics import Diagnostic


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
