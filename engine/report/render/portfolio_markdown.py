"""The portfolio in Markdown (a wiki page, a pull request comment)."""

from __future__ import annotations

from engine.report.portfolio import PortfolioReport
from engine.report.render.markdown import code, md
from engine.vocabulary import SEVERITIES


def render(report: PortfolioReport) -> str:
    checked = report.checked()
    lines = [
        f"# Portfolio: {md(report.name)}",
        "",
        f"{len(report.units)} organisations, {len(checked)} checked, as of {report.as_of}.",
        "",
        "## Stages reached",
        "",
        "| Stage | Organisations |",
        "| --- | ---: |",
        *(f"| {code(stage, cell=True)} | {count} |" for stage, count in report.stage_counts().items()),
        "",
        "## Organisations",
        "",
        "| Organisation | Tags | Stage | Target | Met | Findings | " + " | ".join(SEVERITIES) + " |",
        "| --- | --- | --- | --- | --- | ---: | " + " | ".join("---:" for _ in SEVERITIES) + " |",
    ]
    for u in checked:
        counts = " | ".join(str(u.severity_counts()[s]) for s in SEVERITIES)
        tags = ", ".join(f"{md(k)}={md(v)}" for k, v in u.tags)
        met = "yes" if u.meets_target else "no" if u.meets_target is not None else ""
        lines.append(
            f"| {md(u.name)} | {tags} | {code(u.stage or '', cell=True)} | {code(u.target_stage or '', cell=True)} "
            f"| {met} | {u.findings} | {counts} |"
        )
    if report.top_rules:
        lines += [
            "",
            "## Rules failing in most organisations",
            "",
            "| Rule | Severity | Organisations | Subjects | Title |",
            "| --- | --- | ---: | ---: | --- |",
            *(
                f"| {code(r.rule_id, cell=True)} | {r.severity} | {r.organisations} | {r.subjects} | {md(r.title)} |"
                for r in report.top_rules
            ),
        ]
    failed = [u for u in report.units if u.status != "ok"]
    if failed:
        lines += ["", "## Not checked", ""]
        for u in failed:
            lines.append(f"- **{md(u.name)}** ({code(u.path)}): {u.status.replace('_', ' ')}")
            lines += [f"  - {md(p.format())}" for p in u.problems]
            if u.error:
                lines.append(f"  - {md(u.error)}")
    return "\n".join(lines) + "\n"
