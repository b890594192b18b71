"""Every rule's `references` resolves to an entry of docs/sources.md, and the text users read
(rules, docs, README, examples) cites no file the repository does not hold (issue 18.6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

SOURCES = ROOT / "docs" / "sources.md"


def _entries() -> set[str]:
    return {line[4:].strip() for line in SOURCES.read_text(encoding="utf-8").splitlines() if line.startswith("### ")}


def _rule_files() -> list[Path]:
    return sorted(p for p in (ROOT / "policies").rglob("*.yaml") if "tests" not in p.parts)


def _references() -> list[tuple[str, str, str]]:
    out = []
    for path in _rule_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules", []) if isinstance(data, dict) else []:
            out += [(str(path.relative_to(ROOT)), rule["id"], ref) for ref in rule.get("references", [])]
    return out


def test_there_are_references_to_check() -> None:
    assert len(_references()) > 50 and len(_entries()) >= 5
    short = {ref for _, _, ref in _references() if "://" not in ref}
    assert short >= _entries()  # the baseline's short names are all checked here


@pytest.mark.parametrize("reference", sorted({ref for _, _, ref in _references()}))
def test_every_reference_resolves_to_an_entry(reference: str) -> None:
    """A short name is an entry of docs/sources.md; a full citation carries its own address
    (the sector packs cite regulations and guidance by title and URL)."""
    users = [f"{path}:{rule}" for path, rule, ref in _references() if ref == reference]
    cited_in_full = re.search(r"https?://\S+", reference) is not None
    assert cited_in_full or reference in _entries(), (
        f"{reference} (cited by {', '.join(users[:5])}) is neither in docs/sources.md nor a citation with its address"
    )


def test_every_entry_is_cited() -> None:
    cited = {ref for _, _, ref in _references()}
    assert _entries() <= cited, f"entries nobody cites: {_entries() - cited}"


#: Files smgov's own text must not point to: the brief its authors worked from and its seeds.
_ABSENT = re.compile(r"\bdomain\.md\b|/work/shared|\bseeds/")


def _user_text() -> list[Path]:
    files = [ROOT / "README.md", *_rule_files(), *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").rglob("*.md")]
    return [p for p in files if p.is_file()]


def test_no_text_cites_a_file_the_repository_does_not_hold() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]}"
        for path in _user_text()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _ABSENT.search(line)
    ]
    assert not found, "\n".join(found)


def test_markdown_links_in_the_docs_point_at_files_that_exist() -> None:
    broken = []
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        prose = re.sub(r"```.*?```|`[^`]*`", "", path.read_text(encoding="utf-8"), flags=re.S)  # not code
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", prose):
            if "://" not in target and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, broken
