"""The portfolio for a terminal: a league table of organisations, the stages across them,
the rules failing most widely, and the organisations that could not be checked."""

from __future__ import annotations

from engine.report.portfolio import PortfolioReport, UnitResult
from engine.report.render.common import one_line, plural
from engine.vocabulary import SEVERITIES


def _target(unit: UnitResult) -> str:
    if unit.meets_target is None:
        return "-"
    return "met" if unit.meets_target else f"below {unit.target_stage}"


def render(report: PortfolioReport) -> str:
    checked = report.checked()
    failed = [u for u in report.units if u.status != "ok"]
    lines = [
        f"smgov portfolio {one_line(report.name)}: {plural(len(report.units), 'organisation')}, "
        f"{len(checked)} checked, {len(failed)} not checked (as of {report.as_of})",
        "",
        "Stages reached:",
    ]
    lines += [f"  {stage:<16} {count:>5}" for stage, count in report.stage_counts().items()]
    lines += ["", "Organisations:"]
    width = max([len(one_line(u.name)) for u in report.units] + [12])
    short = "".join(s[0].upper() for s in SEVERITIES)
    lines.append(f"  {'name':<{width}}  {'stage':<16} {'target':<24} {'findings':>8}  by severity ({short})")
    for u in checked:
        counts = "/".join(str(u.severity_counts()[s]) for s in SEVERITIES)
        stage = u.stage or "-"
        lines.append(f"  {one_line(u.name):<{width}}  {stage:<16} {_target(u):<24} {u.findings:>8}  {counts}")
    if report.top_rules:
        lines += ["", "Rules failing in most organisations:"]
        lines += [
            f"  {r.rule_id:<14} {r.severity:<8} {r.organisations:>5} org(s) {r.subjects:>7} subject(s)  "
            f"{one_line(r.title)}"
            for r in report.top_rules
        ]
    if failed:
        lines += ["", "Not checked:"]
        for u in failed:
            lines.append(f"  {one_line(u.name)} ({one_line(u.path)}): {u.status.replace('_', ' ')}")
            lines += [f"    {one_line(p.format())}" for p in u.problems]
            if u.error:
                lines.append(f"    {one_line(u.error)}")
    return "\n".join(lines) + "\n"
