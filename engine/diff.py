"""``smgov diff OLD.json NEW.json``: new, resolved and unchanged findings, and stage changes.

Findings are matched by fingerprint (rule, subject kind, subject id), so an item that moved
in the inventory file is unchanged, not resolved and new again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, InputError
from engine.findings import fingerprint
from engine.jsontext import dumps
from engine.sources import read


@dataclass(frozen=True)
class Item:
    """One finding, as a report holds it."""

    fingerprint: str
    rule_id: str
    severity: str
    subject_kind: str
    subject_id: str
    message: str
    waived: bool


@dataclass(frozen=True)
class SeverityChange:
    item: Item
    old: str


@dataclass(frozen=True)
class StageChange:
    what: str  # organisation | department <id> | lever <name> | target
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Diff:
    old_file: str
    new_file: str
    new: tuple[Item, ...]
    resolved: tuple[Item, ...]
    unchanged: tuple[Item, ...]
    severity_changed: tuple[SeverityChange, ...]
    stages: tuple[StageChange, ...]


def load_report(path: str | Path) -> dict[str, Any]:
    """A JSON report (``schemas/report.schema.json``). Raises InputError when it is not one."""
    source = read(Path(path))
    if isinstance(source, Diagnostic):
        raise InputError([source])
    data = source.data
    if not isinstance(data, dict) or data.get("report_version") != 1 or not isinstance(data.get("findings"), list):
        raise InputError(
            [Diagnostic(source.path, 1, 1, "not an smgov JSON report v1 (write one with: smgov check --format json)")]
        )
    problems = []
    for index, f in enumerate(data["findings"]):
        subject = f.get("subject") if isinstance(f, dict) else None
        if not (isinstance(f, dict) and isinstance(f.get("rule_id"), str) and isinstance(subject, dict)):
            line, col = source.positions.locate(("findings", index))
            problems.append(
                Diagnostic(source.path, line, col, "a finding needs rule_id and subject", f"findings[{index}]")
            )
    if problems:
        raise InputError(problems)
    data["_file"] = source.path
    return data


def _items(report: dict[str, Any]) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for f in report["findings"]:
        subject = f["subject"]
        kind, ident = str(subject.get("kind", "")), str(subject.get("id", ""))
        key = fingerprint(f["rule_id"], kind, ident)
        waiver = f.get("waiver")
        waived = isinstance(waiver, dict) and waiver.get("status") == "active"
        out[key] = Item(key, f["rule_id"], str(f.get("severity", "")), kind, ident, str(f.get("message", "")), waived)
    return out


def _stages(old: dict[str, Any], new: dict[str, Any]) -> list[StageChange]:
    def get(report: dict[str, Any], *path: str) -> Any:
        value: Any = report
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    changes: list[StageChange] = []

    def compare(what: str, a: Any, b: Any) -> None:
        if a != b:
            changes.append(StageChange(what, a, b))

    compare(
        "organisation", get(old, "assessment", "organisation", "stage"), get(new, "assessment", "organisation", "stage")
    )
    compare("target", get(old, "assessment", "target", "status"), get(new, "assessment", "target", "status"))
    for key, label in (("levers", "lever"), ("departments", "department")):
        ident = "lever" if key == "levers" else "id"
        before = {d.get(ident): d.get("stage") for d in get(old, "assessment", key) or [] if isinstance(d, dict)}
        after = {d.get(ident): d.get("stage") for d in get(new, "assessment", key) or [] if isinstance(d, dict)}
        for name in sorted(set(before) | set(after), key=str):
            compare(f"{label} {name}", before.get(name), after.get(name))
    return changes


def diff(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    before, after = _items(old), _items(new)

    def order(items: Sequence[Item]) -> tuple[Item, ...]:
        return tuple(sorted(items, key=lambda i: (i.rule_id, i.subject_kind, i.subject_id)))

    return Diff(
        old_file=old.get("_file", ""),
        new_file=new.get("_file", ""),
        new=order([i for k, i in after.items() if k not in before]),
        resolved=order([i for k, i in before.items() if k not in after]),
        unchanged=order([i for k, i in after.items() if k in before]),
        severity_changed=tuple(
            SeverityChange(i, before[k].severity)
            for k, i in sorted(after.items(), key=lambda kv: (kv[1].rule_id, kv[1].subject_id))
            if k in before and before[k].severity != i.severity
        ),
        stages=tuple(_stages(old, new)),
    )


def _line(item: Item) -> str:
    waived = " (waived)" if item.waived else ""
    return f"{item.severity:<8} {item.rule_id} {item.subject_kind} {item.subject_id}: {item.message}{waived}"


def render_text(d: Diff, verbose: bool = False) -> str:
    lines = [f"smgov diff {d.old_file} -> {d.new_file}"]
    lines.append(f"{len(d.new)} new, {len(d.resolved)} resolved, {len(d.unchanged)} unchanged")
    if d.stages:
        lines += ["", "Stage changes:"]
        lines += [f"  {c.what}: {c.old or '-'} -> {c.new or '-'}" for c in d.stages]
    for title, items in (("New", d.new), ("Resolved", d.resolved), *((("Unchanged", d.unchanged),) if verbose else ())):
        if items:
            lines += ["", f"{title}:"]
            lines += [f"  {_line(i)}" for i in items]
    if d.severity_changed:
        lines += ["", "Severity changed:"]
        lines += [f"  {c.item.rule_id} {c.item.subject_id}: {c.old} -> {c.item.severity}" for c in d.severity_changed]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Diff, verbose: bool = False) -> str:
    lines = [
        "## smgov: findings compared",
        "",
        f"**{len(d.new)} new**, {len(d.resolved)} resolved, {len(d.unchanged)} unchanged "
        f"(`{d.old_file}` → `{d.new_file}`)",
    ]
    if d.stages:
        lines += ["", "| stage of | before | after |", "|---|---|---|"]
        lines += [f"| {c.what} | {c.old or '—'} | {c.new or '—'} |" for c in d.stages]
    sections = [("New findings", d.new), ("Resolved findings", d.resolved)]
    if verbose:
        sections.append(("Unchanged findings", d.unchanged))
    for title, items in sections:
        if not items:
            continue
        lines += ["", f"### {title}", "", "| severity | rule | subject | message |", "|---|---|---|---|"]
        for i in items:
            waived = " (waived)" if i.waived else ""
            lines.append(
                f"| {i.severity} | `{i.rule_id}` | {i.subject_kind} `{i.subject_id}` | {_cell(i.message)}{waived} |"
            )
    if d.severity_changed:
        lines += ["", "### Severity changed", "", "| rule | subject | before | after |", "|---|---|---|---|"]
        lines += [
            f"| `{c.item.rule_id}` | `{c.item.subject_id}` | {c.old} | {c.item.severity} |" for c in d.severity_changed
        ]
    return "\n".join(lines) + "\n"


def render_json(d: Diff) -> str:
    data = {
        "diff_version": 1,
        "old": d.old_file,
        "new_report": d.new_file,
        "summary": {"new": len(d.new), "resolved": len(d.resolved), "unchanged": len(d.unchanged)},
        "new": [asdict(i) for i in d.new],
        "resolved": [asdict(i) for i in d.resolved],
        "unchanged": [asdict(i) for i in d.unchanged],
        "severity_changed": [{**asdict(c.item), "old_severity": c.old} for c in d.severity_changed],
        "stages": [asdict(c) for c in d.stages],
    }
    return dumps(data) + "\n"
