"""JUnit XML for Jenkins (junit plugin) and GitLab (``artifacts:reports:junit``).

``<testsuites>`` holds one ``<testsuite>`` per lever, one ``<testcase>`` per rule
(``classname`` ``smgov.<lever>.<stage>``, ``name`` ``<rule id>: <title>``), and one
``<failure>`` per failing rule whose text lists every failing subject with its location.
A rule that selected no subject is ``<skipped>``, and so is a rule not assessed (it reads fields
the inventory did not record), each with its reason. A rule failing only on waived subjects
passes, and its waived subjects are listed in ``<system-out>``.

Valid against the common JUnit XSDs (the Jenkins xunit ``junit-10.xsd`` is vendored in
``tests/schemas/`` and checked in the tests). The XML is built with ElementTree, so every
value is escaped; characters XML 1.0 forbids are shown as ``\\uXXXX``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from engine.evaluate.findings import Finding
from engine.report import escape
from engine.report.model import Report, RuleOutcome
from engine.report.render.common import (
    NOT_APPLICABLE_TEXT,
    needs_text,
    one_line,
    plural,
    visible,
    waiver,
    waiver_reason,
)
from engine.vocabulary import LEVERS


def _subject_line(f: Finding) -> str:
    return visible(f"{f.subject_kind} {f.subject_id} ({f.location.file}:{f.location.line}): {f.message}")


def _testcase(rule: RuleOutcome, findings: Sequence[Finding], lever: str) -> tuple[ET.Element, str]:
    case = ET.Element(
        "testcase",
        {
            "name": one_line(f"{rule.id}: {rule.title}"),
            "classname": f"smgov.{lever}.{rule.stage}",
            "time": "0",
        },
    )
    failing = [f for f in findings if not waiver(f)]
    waived = [f for f in findings if waiver(f)]
    if rule.status == "not_assessed":
        ET.SubElement(case, "skipped", {"message": one_line(f"not assessed: {needs_text(rule)}")})
        outcome = "skipped"
    elif not rule.applied:
        ET.SubElement(case, "skipped", {"message": one_line(f"applied to no subject: {NOT_APPLICABLE_TEXT}")})
        outcome = "skipped"
    elif failing:
        message = f"{rule.severity}: {len(failing)} of {plural(rule.applied, rule.scope)} failing"
        remediation = failing[0].remediation
        text = "\n".join([*(_subject_line(f) for f in failing), "", visible(f"How to fix: {remediation}")])
        failure = ET.SubElement(case, "failure", {"message": one_line(message), "type": rule.severity})
        failure.text = text
        outcome = "failure"
    else:
        outcome = "pass"
    if waived:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            f"waived: {_subject_line(f)}" + (f" (reason: {visible(waiver_reason(f))})" if waiver_reason(f) else "")
            for f in waived
        )
    return case, outcome


def render(report: Report) -> str:
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    org = report.organisation
    root = ET.Element("testsuites", {"name": one_line(f"smgov: {org.get('name') or org.get('id')}")})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for number, lever in enumerate(LEVERS):
        rules = [r for r in report.rules if r.lever == lever]
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": lever,
                "id": str(number),
                "package": f"smgov.{lever}",
                "hostname": "smgov",
                "timestamp": f"{report.as_of}T00:00:00",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (("lever", lever), ("as_of", report.as_of), ("smgov", report.tool_version)):
            ET.SubElement(properties, "property", {"name": name, "value": value})
        counts = {"failure": 0, "skipped": 0}
        for rule in rules:
            case, outcome = _testcase(rule, by_rule.get(rule.id, []), lever)
            suite.append(case)
            counts[outcome] = counts.get(outcome, 0) + 1
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(counts["failure"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", "0")
        totals["tests"] += len(rules)
        totals["failures"] += counts["failure"]
        totals["skipped"] += counts["skipped"]
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")  # junit-10.xsd allows no "skipped" here: it is on each suite
    root.set("time", "0")
    ET.indent(root, space="  ")
    # every character XML 1.0 forbids, wherever it came from, shown as \uXXXX (none is markup)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + escape.xml(ET.tostring(root, encoding="unicode")) + "\n"
