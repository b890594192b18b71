"""The example organisations of the sector packs: both evaluators agree on each, and each
shows exactly the pack findings its README lists (the baseline's findings come too: their
number is in the README)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from engine.inputs.schemas import load_schema
from tests.helpers import ROOT, cli

AS_OF = "2026-10-01"
#: example -> (pack, the pack's findings as (rule, subject), total findings with the baseline's)
EXAMPLES = {
    "bank": (
        "financial-services",
        {
            ("FIN-REC-001", "acc-hp-x-firm"),
            ("FIN-STA-001", "acc-hp-fb-firm"),
            ("FIN-INT-001", "acc-hp-li-chen"),
            ("FIN-SUP-001", "acc-hp-fb-events"),
            ("FIN-LNK-001", "acc-hp-yt-firm"),
            ("FIN-OFF-001", "p-hp-diaz"),
            ("FIN-DEV-001", "p-hp-okoro"),
        },
        59,
    ),
    "university": (
        "higher-education",
        {
            ("HED-REG-001", "acc-nsu-x-chemistry"),
            ("HED-OFF-001", "acc-nsu-x-chemistry"),
            ("HED-ACT-001", "acc-nsu-x-chemistry"),
            ("HED-ADM-001", "acc-nsu-ig-athletics"),
            ("HED-ADM-002", "acc-nsu-ig-athletics"),
            ("HED-ADM-003", "acc-nsu-ig-athletics"),
            ("HED-ADM-004", "acc-nsu-tt-admissions"),
            ("HED-ADM-005", "acc-nsu-x-main"),
            ("HED-MBX-001", "acc-nsu-fb-library"),
        },
        86,
    ),
    "federal-agency": (
        "public-sector-us",
        {
            ("USG-REG-001", "acc-bcd-ig-science"),
            ("USG-REG-002", "acc-bcd-yt-science"),
            ("USG-REG-003", "acc-bcd-fb-pacific"),
            ("USG-REG-004", "acc-bcd-fb-pacific"),
            ("USG-REG-005", "acc-bcd-x-gulf"),
            ("USG-REG-006", "acc-bcd-fb-main"),
            ("USG-REG-007", "acc-bcd-x-gulf"),
            ("USG-REG-008", "acc-bcd-x-atlantic"),
            ("USG-REC-001", "acc-bcd-x-atlantic"),
        },
        63,
    ),
    "endorsements": (
        "endorsements-and-privacy",
        {
            ("END-FTC-001", "p-lum-finn"),
            ("END-FTC-002", "p-lum-ana"),
            ("END-FTC-003", "p-lum-lea"),
            ("PRV-JC-001", "acc-lum-fb-at"),
            ("PRV-JC-002", "acc-lum-tt"),
            ("A11Y-POST-002", "org-lumen"),
        },
        50,
    ),
}


def report(name: str, engine: str) -> dict:
    pack = EXAMPLES[name][0]
    result = cli(
        "check", str(ROOT / "examples" / "packs" / name), "--policies", str(ROOT / "policies" / pack),
        "--as-of", AS_OF, "--format", "json", "--engine", engine, "--fail-on", "never",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def both(request: pytest.FixtureRequest) -> tuple[str, dict, dict]:
    return request.param, report(request.param, "native"), report(request.param, "durable")


def test_both_evaluators_agree_on_the_example(both) -> None:
    name, native, durable = both
    assert {**native, "engine": ""} == {**durable, "engine": ""}, name


def test_the_example_report_matches_the_schema(both) -> None:
    jsonschema.Draft202012Validator(load_schema("report")).validate(both[1])


def test_the_example_shows_the_pack_findings_its_readme_lists(both) -> None:
    name, native, _ = both
    pack, expected, total = EXAMPLES[name]
    prefixes = {r.split("-")[0] for r, _ in expected}
    found = {(f["rule_id"], f["subject"]["id"]) for f in native["findings"] if f["rule_id"].split("-")[0] in prefixes}
    assert found == expected
    assert native["summary"]["findings"] == total
    readme = (ROOT / "examples" / "packs" / name / "README.md").read_text(encoding="utf-8")
    for rule, subject in expected:
        assert f"| {rule} | {subject} |" in readme, (rule, subject)
    assert f"{total} findings" in readme and f"--policies policies/{pack}" in readme
    assert all(f.get("frameworks") for f in native["findings"] if f["rule_id"].split("-")[0] in prefixes)
