"""One hostile value through every command and every format: each output is safe for where
it lands (engine/report/escape.py). The value carries HTML, a link and an image, a mention,
an issue reference, a bare URL, terminal escapes (OSC 52 clipboard write, clear screen), a
bidi override, characters XML 1.0 forbids, a spreadsheet formula and a newline."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from engine.authoring.impact import Impact, RuleImpact, StageImpact, Subject
from engine.authoring.impact import render_markdown as impact_markdown
from engine.report import escape
from engine.report.render import FILE_NAMES
from tests.helpers import ROOT, cli

HOSTILE = (
    '=HYPERLINK("http://evil.example") <img src=x onerror=alert(1)> [login](https://evil.example/login) '
    "![pixel](https://evil.example/p.png) @octocat #123 www.evil.example user@evil.example "
    "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[31m \u202eevil\u202c \ufffe\uffff | `tick` \r\n# heading\n- item"
)
FORMATS = ("text", "json", "markdown", "html", "sarif", "junit", "csv")
AS_OF = ("--as-of", "2026-10-01")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def inventory(path: Path, extra_account: bool = False) -> Path:
    """A JSON inventory (YAML cannot even carry these characters) whose names and handles are
    the hostile value: failing rules quote it in their messages."""
    accounts = [
        {"id": "a1", "platform": "x", "handle": HOSTILE, "department": "mkt"},
        {"id": "a2", "platform": "facebook", "handle": HOSTILE + " 2", "owner": HOSTILE, "mfa": False},
    ]
    if extra_account:
        accounts.append({"id": "a3", "platform": "x", "handle": "new " + HOSTILE})
    data = {
        "organisation": {"name": HOSTILE},
        "departments": [{"id": "mkt", "name": HOSTILE, "uses_social_media": True}],
        "accounts": accounts,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def strict_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise AssertionError(f"{token} in JSON output")

    return json.loads(text, parse_constant=refuse)


def terminal_safe(text: str, what: str) -> None:
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), what


def markdown_safe(text: str, what: str) -> None:
    terminal_safe(text, what)
    text = re.sub(r"`[^`\n]*`", "`…`", text)  # a code span shows its text literally: nothing in it is live
    assert not re.search(r"(?<!\\)<(img|script)", text), what  # HTML only backslash-escaped
    assert not re.search(r"(?<!\\)\[(login|pixel)", text) and "![" not in text, what  # no link, no image
    assert not re.search(r"@octocat|#123|https?://|www\.|@evil", text), what  # mentions, references, autolinks
    assert not re.search(r"^#+ heading|^- item", text, re.MULTILINE), what  # no block from a value


def csv_safe(text: str, what: str) -> None:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) > 1, what
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA)], what
    assert any(c.startswith("'=HYPERLINK") for c in cells), what  # the value is there, inert
    terminal_safe(text.replace("\r\n", "\n"), what)


def check_file(path: Path, fmt: str) -> None:
    text = path.read_text(encoding="utf-8")
    what = f"{fmt}: {path}"
    if fmt in ("json", "sarif"):
        strict_json(text)
        assert "\\u001b" in text or "\\\\u001b" in text, what  # the value kept, escaped
    elif fmt == "junit":
        ET.fromstring(text.encode("utf-8"))  # expat refuses what XML 1.0 forbids
        terminal_safe(text, what)
    elif fmt == "csv":
        csv_safe(text, what)
    elif fmt == "markdown":
        markdown_safe(text, what)
    elif fmt == "html":
        terminal_safe(text, what)
        assert "<img src=x" not in text, what
    else:
        terminal_safe(text, what)


@pytest.fixture
def reports(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    first = cli("check", str(inventory(tmp_path / "org.json")), *AS_OF, "--format", "json", "-o", str(old))
    second = cli("check", str(inventory(tmp_path / "org2.json", True)), *AS_OF, "--format", "json", "-o", str(new))
    assert first.exit_code == second.exit_code == 1, first.output + second.output
    return old, new


def test_check_writes_every_format_safely(tmp_path: Path) -> None:
    org = inventory(tmp_path / "org.json")
    out = tmp_path / "out"
    args = [arg for fmt in FORMATS for arg in ("--format", fmt)]
    result = cli("check", str(org), *AS_OF, *args, "--output-dir", str(out))
    assert result.exit_code == 1, result.output
    for fmt in FORMATS:
        check_file(out / FILE_NAMES[fmt], fmt)
    for fmt in FORMATS:  # and on standard output
        shown = cli("check", str(org), *AS_OF, "--format", fmt)
        assert shown.exit_code == 1
        if fmt in ("text", "markdown"):
            (markdown_safe if fmt == "markdown" else terminal_safe)(shown.output, f"stdout {fmt}")


@pytest.mark.parametrize("fmt", ["csv", "markdown", "json", "html"])
def test_the_plan_export_is_safe_in_every_format(tmp_path: Path, fmt: str) -> None:
    result = cli("plan", str(inventory(tmp_path / "org.json")), *AS_OF, "--format", fmt)
    assert result.exit_code in (0, 1), result.output
    check = {"csv": csv_safe, "markdown": markdown_safe, "json": lambda t, _w: strict_json(t)}
    check.get(fmt, terminal_safe)(result.output, f"plan {fmt}")
    if fmt == "html":
        assert "<img src=x" not in result.output


def test_plan_is_terminal_safe(tmp_path: Path) -> None:
    result = cli("plan", str(inventory(tmp_path / "org.json")), *AS_OF)
    assert result.exit_code in (0, 1), result.output
    terminal_safe(result.output, "plan")
    assert "\\u001b" in result.output  # the escape is shown, not sent


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_is_safe_in_every_format(reports: tuple[Path, Path], fmt: str) -> None:
    old, new = reports
    result = cli("diff", str(old), str(new), "--format", fmt)
    assert result.exit_code in (0, 1), result.output
    {"text": terminal_safe, "markdown": markdown_safe, "json": lambda t, _w: strict_json(t)}[fmt](result.output, fmt)
    assert "a3" in result.output


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_trend_is_safe(reports: tuple[Path, Path], fmt: str) -> None:
    old, new = reports
    result = cli("trend", str(old), str(new), "--format", fmt)
    assert result.exit_code == 0, result.output
    (markdown_safe if fmt == "markdown" else terminal_safe)(result.output, f"trend {fmt}")


def test_policy_impact_markdown_is_safe() -> None:
    subject = Subject(HOSTILE, "account", HOSTILE)
    impact = Impact(
        base=HOSTILE,
        policies=(HOSTILE,),
        inventories=(HOSTILE,),
        as_of="2026-10-01",
        rules=(RuleImpact("X-1", HOSTILE, "changed", (f"title {HOSTILE}",), (subject,), ()),),
        stages=(StageImpact(HOSTILE, "organisation", HOSTILE, None),),
        findings_before=0,
        findings_after=1,
    )
    text = impact_markdown(impact)
    markdown_safe(text, "policy impact")
    assert len([line for line in text.splitlines() if line.startswith("| ")]) == 4  # no row broken by a newline


def test_each_medium_has_one_function_and_it_keeps_the_text_readable() -> None:
    assert escape.terminal("a\x1b[2Jb\u202e") == "a\\u001b[2Jb\\u202e"
    assert escape.xml("a\ufffe\uffff\x00") == "a\\ufffe\\uffff\\u0000"
    assert escape.csv_cell("=1+1") == "'=1+1" and escape.csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert escape.csv_cell("plain") == "plain"
    shown = escape.markdown("@ann see #12 at https://x.example or www.x.example")
    assert shown.replace("\u2060", "") == "@ann see #12 at https://x.example or www.x.example"  # reads the same
    assert "@ann" not in shown and "#12" not in shown and "https://" not in shown


def test_standard_output_that_cannot_be_written_is_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    for args in (["check", "examples/automotive", *AS_OF, "--format", "json"], ["--help"], ["rules"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "engine", *args], stdout=full, stderr=subprocess.PIPE, cwd=ROOT, check=False
            )
        assert done.returncode == 2, (args, done.stderr[-2000:])
        assert b"cannot write standard output" in done.stderr and b"Traceback" not in done.stderr


def test_a_citation_keeps_its_urls_whole_but_never_live() -> None:
    from engine.report.escape import citation

    text = "FINRA Rule 2210: https://www.finra.org/rules/2210; see [x](https://evil.example/a`b) @bob #12"
    out = citation(text)
    assert "`https://www.finra.org/rules/2210`" in out  # readable and copyable, inside a code span
    assert "https://evil.example/a'b" in out and "](" not in out.replace("\\](", "")  # no Markdown link
    assert "@\u2060bob" in out and "#\u206012" in out  # no mention, no issue link
    assert out.startswith("FINRA Rule 2210: `")  # the space before the URL is kept
