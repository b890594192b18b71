"""How an organisation changed across JSON reports kept over time (``smgov trend``).

``load`` reads and checks the reports (``engine.report.diff.read_report``: the schema, every problem
with its ``file:line:col``), refuses reports of more than one organisation, and orders them
by ``as_of``; ``render_markdown`` gives tables (organisation, departments, findings per
lever); ``render_html`` a self-contained page with the same as line charts over time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.inputs.diagnostics import Diagnostic, InputError
from engine.report.diff import identity, identity_path, locate, read_report
from engine.report.render.common import one_line
from engine.report.render.markdown import code, md
from engine.vocabulary import LEVERS


@dataclass(frozen=True)
class Point:
    """One report, reduced to what the trend shows."""

    file: str
    as_of: str
    organisation: str
    stages: tuple[str, ...]  # the ladder, lowest first
    stage: str
    target: str
    findings: int
    by_lever: tuple[int, ...]  # failing checks per lever, LEVERS order
    departments: tuple[tuple[str, str, str], ...]  # (id, name, stage or status)
    organisation_id: str = ""  # diff.identity: the id, or the name when the inventory had no id
    identity_at: tuple[str, str] = ("organisation", "id")

    def rank(self, stage: str) -> int | None:
        """0 for ``none``, 1 for the first stage; None when not a stage (status words)."""
        if stage == "none":
            return 0
        return self.stages.index(stage) + 1 if stage in self.stages else None


def _point(path: str, data: dict[str, Any]) -> Point:
    a = data["assessment"]
    departments = tuple(
        (
            d["id"],
            d["name"],
            d["stage"]
            if d["status"] == "assessed"
            else ("not using" if d["status"] == "not_using_social_media" else "no checks"),
        )
        for d in a["departments"]
    )
    return Point(
        file=path,
        as_of=data["as_of"],
        organisation=str(data["organisation"].get("name") or data["organisation"]["id"]),
        stages=tuple(s["id"] for s in a["ladder"]["stages"]),
        stage=a["organisation"]["stage"],
        target=a["target"]["stage"],
        findings=data["summary"]["findings"],
        by_lever=tuple(data["summary"]["by_lever"][lever]["failed"] for lever in LEVERS),
        departments=departments,
        organisation_id=identity(data),
        identity_at=identity_path(data),
    )


def load(paths: Sequence[str | Path]) -> tuple[Point, ...]:
    """The reports, oldest first. Raises InputError listing every unreadable or invalid one,
    and every report when they are not all of one organisation."""
    points: list[Point] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        try:
            source = read_report(raw)
        except InputError as exc:
            problems.extend(exc.diagnostics)
            continue
        points.append(_point(source.path, source.data))
    problems.extend(_other_organisations(points))
    if problems:
        raise InputError(problems)
    points.sort(key=lambda p: (p.as_of, p.file))
    return tuple(points)


def _other_organisations(points: Sequence[Point]) -> list[Diagnostic]:
    """One problem per report when the reports are of more than one organisation: a trend
    would draw stage arrows from one company to another."""
    files: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for p in points:
        files.setdefault(p.organisation_id, []).append(p.file)
        names.setdefault(p.organisation_id, p.organisation)

    def named(ident: str) -> str:
        name = names[ident]
        return f"{ident!r}" + (f" ({name})" if name != ident and f"({name})" not in ident else "")

    if len(files) < 2:
        return []
    out = []
    for p in points:
        others = "; ".join(
            f"{named(ident)} in {', '.join(paths)}" for ident, paths in files.items() if ident != p.organisation_id
        )
        out.append(
            Diagnostic(
                p.file,
                *locate(p.file, p.identity_at),
                f"this report is of organisation {named(p.organisation_id)}, other reports are of {others}: "
                "a trend follows one organisation (give the reports of one)",
                ".".join(p.identity_at),
            )
        )
    return out


def _department_ids(points: Sequence[Point]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for p in points:
        for ident, name, _ in p.departments:
            seen.setdefault(ident, name)
    return list(seen.items())


def _stage_of(point: Point, department: str) -> str:
    return next((state for ident, _, state in point.departments if ident == department), "")


def render_markdown(points: Sequence[Point]) -> str:
    if not points:
        return "# smgov trend\n\nNo reports.\n"
    last = points[-1]
    lines = [
        f"# smgov trend: {md(last.organisation)}",
        "",
        f"{len(points)} reports, {points[0].as_of} to {last.as_of}. Target: **{last.target}**.",
        "",
        "## Organisation",
        "",
        "| as of | stage | target | findings | " + " | ".join(LEVERS) + " |",
        "|---|---|---|--:|" + "--:|" * len(LEVERS),
    ]
    previous: Point | None = None
    for p in points:
        stage = p.stage
        if previous is not None and p.rank(p.stage) is not None and previous.rank(previous.stage) is not None:
            delta = (p.rank(p.stage) or 0) - (previous.rank(previous.stage) or 0)
            stage += " ↑" if delta > 0 else " ↓" if delta < 0 else ""
        counts = " | ".join(str(n) for n in p.by_lever)
        lines.append(f"| {p.as_of} | {stage} | {p.target} | {p.findings} | {counts} |")
        previous = p
    departments = _department_ids(points)
    if departments:
        lines += [
            "",
            "## Departments",
            "",
            "| department | " + " | ".join(p.as_of for p in points) + " |",
            "|---|" + "---|" * len(points),
        ]
        for ident, name in departments:
            cells = " | ".join(md(_stage_of(p, ident)) or "—" for p in points)
            lines.append(f"| {md(name)} ({code(ident, cell=True)}) | {cells} |")
    lines += ["", "Findings per lever are failing checks (one per rule and subject)."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML

CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 780, 240, 110, 250, 16, 34
SERIES_COLOURS = ("#6a4c93", "#1982c4", "#8ac926", "#ff924c", "#c62828", "#2e7d4f", "#5b6577", "#b7791f")


def _x(i: int, n: int) -> float:
    return PAD_L + (CHART_W - PAD_L - PAD_R) * (i / (n - 1) if n > 1 else 0.5)


def _chart(
    points: Sequence[Point],
    series: list[tuple[str, list[float | None]]],
    ticks: list[tuple[float, str]],
    spread: float = 0.0,
) -> dict[str, Any]:
    """Line-chart geometry; ``spread`` shifts each series a few units apart so that lines on
    the same values (departments at the same stage) stay visible side by side."""
    top = max([v for _, vs in series for v in vs if v is not None] + [t for t, _ in ticks] + [1])
    plot_h = CHART_H - PAD_T - PAD_B

    def y(v: float) -> float:
        return round(PAD_T + plot_h * (1 - v / top), 1)

    lines = []
    for number, (name, values) in enumerate(series):
        shift = spread * (number - (len(series) - 1) / 2)
        dots = [
            (round(_x(i, len(points)), 1), round(y(v) + shift, 1), v) for i, v in enumerate(values) if v is not None
        ]
        if not dots:  # e.g. a department never assessed: nothing to draw
            continue
        lines.append(
            {
                "name": name,
                "colour": SERIES_COLOURS[number % len(SERIES_COLOURS)],
                "points": " ".join(f"{x},{yy}" for x, yy, _ in dots),
                "dots": dots,
                "label_y": dots[-1][1] if dots else PAD_T,
            }
        )
    # keep end labels from overlapping
    placed: list[float] = []
    for line in sorted(lines, key=lambda item: item["label_y"]):
        label_y = line["label_y"]
        while any(abs(label_y - other) < 13 for other in placed):
            label_y += 13
        placed.append(label_y)
        line["label_y"] = label_y
    return {
        "width": CHART_W,
        "height": CHART_H,
        "lines": lines,
        "ticks": [{"y": y(v), "label": label} for v, label in ticks],
        "dates": [{"x": round(_x(i, len(points)), 1), "label": p.as_of} for i, p in enumerate(points)],
        "left": PAD_L,
        "right": CHART_W - PAD_R,
        "bottom": CHART_H - PAD_B,
        "end": CHART_W - PAD_R + 8,
    }


def _stage_ticks(points: Sequence[Point]) -> list[tuple[float, str]]:
    return [(0, "none"), *((float(i + 1), s) for i, s in enumerate(points[-1].stages))]


def render_html(points: Sequence[Point]) -> str:
    from engine.report.render.html import environment  # the same Jinja2 set-up as the HTML report

    env = environment()
    assert env.loader is not None
    css, _, _ = env.loader.get_source(env, "report.css")
    charts: list[dict[str, Any]] = []
    if points:
        stage_ticks = _stage_ticks(points)
        charts.append(
            {
                "id": "chart-organisation",
                "title": "Organisation stage",
                **_chart(
                    points,
                    [
                        ("organisation", [float(p.rank(p.stage) or 0) for p in points]),
                        ("target", [float(p.rank(p.target) or 0) for p in points]),
                    ],
                    stage_ticks,
                ),
            }
        )
        charts.append(
            {
                "id": "chart-departments",
                "title": "Department stages (assessed departments)",
                **_chart(
                    points,
                    [
                        (
                            name,
                            [
                                None if p.rank(_stage_of(p, ident)) is None else float(p.rank(_stage_of(p, ident)) or 0)
                                for p in points
                            ],
                        )
                        for ident, name in _department_ids(points)
                    ],
                    stage_ticks,
                    spread=2.5,
                ),
            }
        )
        top = max([n for p in points for n in p.by_lever] + [1])
        step = max(1, -(-top // 4))
        charts.append(
            {
                "id": "chart-levers",
                "title": "Failing checks per lever",
                **_chart(
                    points,
                    [(lever, [float(p.by_lever[i]) for p in points]) for i, lever in enumerate(LEVERS)],
                    [(float(v), str(v)) for v in range(0, top + step, step)],
                ),
            }
        )
    return env.get_template("trend.html.j2").render(
        points=points,
        charts=charts,
        levers=LEVERS,
        departments=_department_ids(points),
        stage_of=_stage_of,
        organisation=one_line(points[-1].organisation) if points else "",
        css=css,
    )
