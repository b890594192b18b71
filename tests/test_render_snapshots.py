"""Every renderer on the fixed example: byte-identical across runs and to its snapshot in
``tests/snapshots/``; inventory markup comes out inert in every format; the rendered HTML
example in ``reports/examples/`` is current.

Regenerate after an intended change: ``SMGOV_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest
tests/test_render_snapshots.py`` and review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from engine.report.render import FILE_NAMES, RENDERERS
from tests.helpers import ROOT
from tests.render_fixture import HOSTILE, SNAPSHOTS, UPDATE, automotive_report, fixture_report

EXAMPLE_HTML = ROOT / "reports" / "examples" / "automotive.html"


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_renderer_matches_its_snapshot_byte_for_byte(fmt: str) -> None:
    report = fixture_report()
    first, second = RENDERERS[fmt](report), RENDERERS[fmt](report)
    assert first == second, "the renderer is not deterministic"
    snapshot = SNAPSHOTS / FILE_NAMES[fmt]
    if UPDATE:
        snapshot.write_bytes(first.encode("utf-8"))
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with SMGOV_UPDATE_SNAPSHOTS=1"
    assert first.encode("utf-8") == snapshot.read_bytes(), f"{fmt} differs from {snapshot}"


def test_every_format_has_a_snapshot_and_a_file_name() -> None:
    assert set(FILE_NAMES) == set(RENDERERS)
    assert len(set(FILE_NAMES.values())) == len(FILE_NAMES)


class _Elements(HTMLParser):
    """Every start tag, and the text of every <script>, of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)


def test_html_shows_inventory_markup_as_text() -> None:
    page = RENDERERS["html"](fixture_report())
    parsed = _Elements()
    parsed.feed(page)
    assert [t for t, _ in parsed.tags].count("script") == 1, "only the report's own script"
    assert not [t for t, _ in parsed.tags if t in ("img", "iframe", "object", "embed", "a", "link")]
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")], "no event handler attributes"
    assert all("alert" not in s for s in parsed.scripts)
    text = "".join(parsed.text)
    for value in HOSTILE:
        assert value in text, f"{value!r} should be shown as text"
        assert "<" not in value or value not in page, f"{value!r} reached the page unescaped"
    assert "\x1b" not in page


def test_html_is_self_contained() -> None:
    page = RENDERERS["html"](fixture_report())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no network resources"
    assert "@import" not in page and "url(" not in page


_MD_HTML = re.compile(r"(?<!\\)<[A-Za-z/!]")


def test_markdown_escapes_inventory_markup() -> None:
    text = RENDERERS["markdown"](fixture_report())
    body = "\n".join(line for line in text.splitlines() if not line.startswith(("<details>", "</details>")))
    assert not _MD_HTML.search(body), "raw HTML in Markdown outside <details>"
    assert "\\<script\\>alert(2)\\</script\\>" in text
    assert "\\[x\\](javascript:alert(1))" in text, "a link in a name stays text"
    assert "\x1b" not in text and "\\\\u001b" in text
    for line in text.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == len(re.split(r"(?<!\\)\|", text.splitlines()[_table_head(text, line)])), line


def _table_head(text: str, row: str) -> int:
    lines = text.splitlines()
    index = lines.index(row)
    while index > 0 and lines[index - 1].startswith("|"):
        index -= 1
    return index


def test_sarif_and_json_carry_values_verbatim_but_inert() -> None:
    for fmt in ("sarif", "json"):
        text = RENDERERS[fmt](fixture_report())
        data = json.loads(text)
        assert "<script>alert(2)</script>" in json.dumps(data, ensure_ascii=False)
        assert "\x1b" not in text


def test_junit_is_well_formed_with_markup_as_text() -> None:
    text = RENDERERS["junit"](fixture_report())
    root = ET.fromstring(text.encode("utf-8"))
    failures = "\n".join(f.text or "" for f in root.iter("failure"))
    assert "<script>alert(2)</script>" in failures  # as text, parsed back from &lt;...&gt;
    assert "<script>" not in text and "\x1b" not in text
    assert "]]>" not in text.replace("]]&gt;", "")


def test_csv_neutralises_formulas_and_keeps_one_row_per_finding() -> None:
    report = fixture_report()
    rows = list(csv.reader(io.StringIO(RENDERERS["csv"](report), newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == len(report.findings)
    assert all(len(r) == len(header) for r in body)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    messages = [r[header.index("message")] for r in body]
    assert 'Account =HYPERLINK("http://x") has no MFA' in messages  # mid-cell: harmless, kept
    assert any("line\nbreak | pipe" in m for m in messages), "a newline inside a value survives quoting"


def test_rendered_html_example_is_current() -> None:
    page = RENDERERS["html"](automotive_report())
    if UPDATE:
        EXAMPLE_HTML.parent.mkdir(parents=True, exist_ok=True)
        EXAMPLE_HTML.write_bytes(page.encode("utf-8"))
    assert EXAMPLE_HTML.exists(), "run with SMGOV_UPDATE_SNAPSHOTS=1 to render reports/examples/automotive.html"
    assert EXAMPLE_HTML.read_bytes() == page.encode("utf-8"), (
        "reports/examples/automotive.html is stale: run with SMGOV_UPDATE_SNAPSHOTS=1"
    )


def test_markdown_folds_long_levers_and_stays_within_a_pr_comment() -> None:
    import dataclasses

    from engine.report.render import markdown

    text = RENDERERS["markdown"](automotive_report())
    assert text.count("<details><summary>") == text.count("</details>") >= 1
    assert "<details><summary>10 findings</summary>\n\n- **high**" in text  # blank line: Markdown inside
    # a large organisation: the list is cut per lever, and the comment stays under GitHub's limit
    report = automotive_report()
    many = tuple(dataclasses.replace(f, subject_id=f"{f.subject_id}-{n}") for n in range(40) for f in report.findings)
    big = RENDERERS["markdown"](dataclasses.replace(report, findings=many))
    assert big.count("more finding") == 4
    assert len(big) < 65_536
    assert len(re.findall(r"\n- \*\*(critical|high|medium|low|info)\*\* ", big)) == markdown.LISTED_PER_LEVER * 4


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_format_passes_a_terminal_escape_through(fmt: str) -> None:
    assert "\x1b" not in RENDERERS[fmt](fixture_report())


def test_coloured_text_keeps_only_its_own_colour_codes() -> None:
    from engine.report.render import text

    coloured = text.render(fixture_report(), color=True)
    codes = set(re.findall(r"\x1b\[[0-9;]*m", coloured))
    assert codes and codes <= {"\x1b[1;31m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[2m", "\x1b[0m"}
    # a cursor move and a terminal command (OSC 52 sets the clipboard) in a value stay visible text
    import dataclasses

    report = fixture_report()
    hostile = dataclasses.replace(report.findings[0], message="a\x1b[2Jb\x1b]52;c;ZXZpbA==\x07c")
    shown = text.render(dataclasses.replace(report, findings=(hostile, *report.findings[1:])), color=True)
    assert "a\\u001b[2Jb\\u001b]52;c;ZXZpbA==\\u0007c" in shown
    assert "\x1b[2J" not in shown and "\x1b]" not in shown
