"""CSV for spreadsheets: one row per finding, every field, RFC 4180 (``\\r\\n``, quoted as needed);
then one row per rule that gave no finding and no pass (``status`` ``not_assessed``: it reads
fields the inventory did not record; ``not_applicable``: it applied to no subject).

Lists are joined with ``; `` and the evidence is ``label = value`` pairs. A cell that a
spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) gets a leading ``'``, as OWASP advises against CSV injection; control characters
are shown as ``\\uXXXX``.
"""

from __future__ import annotations

import csv
import io

from engine.evaluate.findings import Finding
from engine.evaluate.messages import show
from engine.report import escape
from engine.report.model import Report, RuleOutcome
from engine.report.render.common import (
    NOT_APPLICABLE_TEXT,
    needs_text,
    not_applicable,
    not_assessed,
    waiver,
    waiver_reason,
)

COLUMNS = (
    "severity",
    "rule_id",
    "title",
    "lever",
    "stage",
    "subject_kind",
    "subject_id",
    "departments",
    "message",
    "evidence",
    "file",
    "line",
    "col",
    "remediation",
    "references",
    "fingerprint",
    "waived",
    "waiver_reason",
    "status",
)


def cell(value: object) -> str:
    """One cell, spreadsheet-safe (``engine.report.escape.csv_cell``)."""
    return escape.csv_cell(value if isinstance(value, str) else show(value))


class _Cells(dict[object, str]):
    """value -> its cell, each distinct value made once (most columns repeat: 1.7M cells at
    100,000 findings, a few hundred thousand of them distinct)."""

    def __missing__(self, value: object) -> str:
        made = self[value] = cell(value)
        return made


def _row(f: Finding, cells: _Cells) -> list[str]:
    values: list[object] = [
        f.severity,
        f.rule_id,
        f.title,
        f.lever,
        f.stage,
        f.subject_kind,
        f.subject_id,
        "; ".join(f.departments),
        f.message,
        "; ".join(f"{e.label} = {show(e.value)}" for e in f.evidence),
        f.location.file,
        str(f.location.line),
        str(f.location.col),
        f.remediation,
        "; ".join(f.references),
        f.fingerprint,
        "true" if waiver(f) else "false",
        waiver_reason(f),
        "finding",
    ]
    return [cells[v] for v in values]


def _rule_row(rule: RuleOutcome, message: str) -> list[str]:
    """A rule that gave no finding and no pass: one row, its status in the last column."""
    values = [rule.severity, rule.id, rule.title, rule.lever, rule.stage, rule.scope, "", "", message, "", rule.file]
    values += [str(rule.line), "", rule.remediation, "; ".join(rule.references), "", "false", "", rule.status]
    return [cell(v) for v in values]


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    cells = _Cells()
    writer.writerows(_row(f, cells) for f in report.findings)
    writer.writerows(_rule_row(r, f"not assessed: {needs_text(r)}") for r in not_assessed(report))
    writer.writerows(_rule_row(r, f"applied to no subject: {NOT_APPLICABLE_TEXT}") for r in not_applicable(report))
    return out.getvalue()
