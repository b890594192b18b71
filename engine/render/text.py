"""Text for a terminal: a line per lever, then findings grouped by severity."""

from __future__ import annotations

from engine.findings import show
from engine.levels import LEVERS, SEVERITIES
from engine.report import Report

_COLOURS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m", "info": "\033[2m"}
_RESET = "\033[0m"


def _paint(text: str, severity: str, color: bool) -> str:
    return f"{_COLOURS[severity]}{text}{_RESET}" if color else text


def render(report: Report, color: bool = False) -> str:
    s = report.summary
    org = report.organisation
    lines = [
        f"smgov {report.tool_version}: {org.get('name')} (as of {report.as_of}, "
        f"{s.rules} rules, {s.checks} checks, engine {report.engine})",
        "",
        "Levers",
    ]
    for lever in LEVERS:
        ls = s.by_lever[lever]
        rate = f"{100 * (ls.checks - ls.failed) / ls.checks:.0f}% pass" if ls.checks else "no checks"
        lines.append(f"  {lever:<12} {ls.rules:>3} rules {ls.checks:>7} checks {ls.failed:>6} failed  {rate}")
    for severity in SEVERITIES:
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        lines += ["", _paint(f"{severity.upper()} ({len(group)})", severity, color)]
        for f in group:
            lines.append(f"  {f.rule_id} {f.subject_kind} {f.subject_id}: {f.message}")
            lines.append(f"    at {f.location.file}:{f.location.line}")
            if f.evidence:
                lines.append("    evidence: " + "; ".join(f"{e.label} = {show(e.value)}" for e in f.evidence))
            lines.append(f"    fix: {f.remediation}")
    counts = ", ".join(f"{s.by_severity[v]} {v}" for v in SEVERITIES if s.by_severity[v])
    lines += ["", f"{s.findings} finding{'s' if s.findings != 1 else ''}" + (f" ({counts})" if counts else "")]
    return "\n".join(lines) + "\n"
