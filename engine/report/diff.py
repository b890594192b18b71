"""``smgov diff OLD.json NEW.json``: new, resolved and unchanged findings, and stage changes.

Findings are matched by fingerprint (rule, subject kind, subject id), so an item that moved
in the inventory file is unchanged, not resolved and new again.

``read_report`` is how every command that reads a JSON report (``diff``, ``trend``, a report
given as ``--baseline``) checks it: the schema (``schemas/report.schema.json``), then each
finding's fingerprint against its rule and subject, and no finding listed twice; every
problem with its ``file:line:col``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from engine.evaluate.findings import fingerprint
from engine.inputs import schemas
from engine.inputs.diagnostics import Diagnostic, InputError, dotted
from engine.inputs.inventory import ORGANISATION_SUBJECT
from engine.inputs.positions import Mark
from engine.inputs.sources import Source, read
from engine.inputs.typedcheck import TypedValidator, Unsupported
from engine.inputs.yaml_source import parse_yaml
from engine.report import escape
from engine.report.output import json_text

#: What a file that is not a JSON report at all is told (a short line: never the document).
NOT_A_REPORT = "not an smgov JSON report v1 (write one with: smgov check ... --format json)"

#: A fingerprint as the schemas allow it (a wrong form is the schema's to report).
_FINGERPRINT = re.compile("[0-9a-f]{32}")


def _cut(text: str, limit: int = 80) -> str:
    """``text`` for a message, cut short: a huge id must not make a huge line."""
    return text if len(text) <= limit else text[:limit] + "…"


def _q(text: str, limit: int = 80) -> str:
    """``_cut`` in quotes."""
    return repr(_cut(text, limit))


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


def read_report(path: str | Path) -> Source:
    """Read and check a JSON report. Raises InputError with every problem, each with its
    ``file:line:col``; a file that is not a report at all gets one short line."""
    source = read(Path(path))
    if isinstance(source, Diagnostic):
        raise InputError([source])
    data = source.data
    if not isinstance(data, dict) or data.get("report_version") != 1:
        where = "report_version" if isinstance(data, dict) and "report_version" in data else ""
        at = source.positions.locate(("report_version",)) if where else (1, 1)
        raise InputError([Diagnostic(source.path, *at, NOT_A_REPORT, where)])
    if report_problems(source):
        raise InputError(report_problems(exact(source)))
    return source


#: Up to this size a file with problems is composed again for the exact position of each
#: (JSON is YAML): the fast JSON path knows where the top-level keys and array items are, so
#: ``assessment.target.stage`` would otherwise point at ``assessment``.
EXACT_UP_TO = 8 << 20  # bytes


def exact(source: Source) -> Source:
    """``source`` with the position of every node, when it was read on the fast JSON path and
    is small enough; else ``source``. For messages only: the data is not replaced."""
    if not source.json_types:
        return source  # composed as YAML: every node's position is known
    try:
        path = Path(source.path)
        if path.stat().st_size > EXACT_UP_TO:
            return source
        composed = parse_yaml(path.read_text(encoding="utf-8-sig"), source.path)
    except (OSError, UnicodeDecodeError, RecursionError):
        return source
    return source if isinstance(composed, Diagnostic) else replace(source, positions=composed[1])


def locate(file: str, path: tuple[str | int, ...]) -> Mark:
    """Where ``path`` is in ``file``, as exactly as ``exact`` can tell (for a message)."""
    source = read(Path(file))
    return (1, 1) if isinstance(source, Diagnostic) else exact(source).positions.locate(path)


def report_problems(source: Source) -> list[Diagnostic]:
    """Every problem of a JSON report: its schema's, and its findings' (``finding_problems``)."""
    return schema_problems("report", source) + finding_problems(source)


def schema_problems(name: str, source: Source) -> list[Diagnostic]:
    """``schemas.problems(name, source)`` of a report or a baseline, without walking in Python
    a long ``findings`` list that is valid: the typed check (``engine.inputs.typedcheck``, C speed)
    clears the findings and jsonschema the rest; any doubt, and jsonschema walks it all and
    says what is wrong. (A report of 100,000 findings: about 1 s instead of about 30 s.)"""
    data = source.data
    check = _findings_check(name)
    if (
        check is not None
        and isinstance(data, dict)
        and isinstance(data.get("findings"), list)
        and check(data["findings"], source.json_types)
        and schemas.is_valid(name, {**data, "findings": []})
    ):
        return []
    return schemas.problems(name, source)


@cache
def _findings_check(name: str) -> TypedValidator | None:
    """The typed check of the ``findings`` list of schema ``name``; None when that list is
    not a plain array of items or its items cannot be translated exactly (then jsonschema
    alone decides)."""
    schema = schemas.load_schema(name)
    findings = schema.get("properties", {}).get("findings")
    if not (isinstance(findings, dict) and set(findings) == {"type", "items"} and findings["type"] == "array"):
        return None
    try:
        return TypedValidator({**findings, "$defs": schema.get("$defs", {})})
    except Unsupported:
        return None


def finding_problems(source: Source) -> list[Diagnostic]:
    """What a schema cannot say about a report's or a baseline's ``findings``: a fingerprint
    that is not the one of its rule and subject (``engine.evaluate.findings.fingerprint``), and a
    finding (rule, subject kind, subject id) listed more than once. Entries the schema
    rejects for their rule or subject are left to the schema's messages."""
    data = source.data
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    problems: list[Diagnostic] = []
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("subject"), dict)):
            continue
        rule, kind, ident = item.get("rule_id"), item["subject"].get("kind"), item["subject"].get("id")
        if not (isinstance(rule, str) and isinstance(kind, str) and isinstance(ident, str)):
            continue
        expected = fingerprint(rule, kind, ident)
        given = item.get("fingerprint")
        if isinstance(given, str) and _FINGERPRINT.fullmatch(given) and given != expected:
            at = ("findings", index, "fingerprint")
            problems.append(
                Diagnostic(
                    source.path,
                    *source.positions.locate(at),
                    f"fingerprint {_q(given)} is not the one of {_q(rule)} {_cut(kind, 40)} {_q(ident)} "
                    f"({expected!r}): a fingerprint is computed from the rule and the subject, never edited",
                    dotted(at),
                )
            )
        if expected in first:
            line, _ = source.positions.locate(("findings", first[expected]))
            problems.append(
                Diagnostic(
                    source.path,
                    *source.positions.locate(("findings", index)),
                    f"{_q(rule)} {_cut(kind, 40)} {_q(ident)} is listed more than once "
                    f"(first as findings[{first[expected]}], line {line})",
                    f"findings[{index}]",
                )
            )
        else:
            first[expected] = index
    return problems


def load_report(path: str | Path) -> dict[str, Any]:
    """A JSON report, checked (``read_report``), as data. Raises InputError when it is not one."""
    source = read_report(path)
    data: dict[str, Any] = source.data
    data["_file"] = source.path
    return data


def identity(report: dict[str, Any]) -> str:
    """Which organisation a report is of: its ``organisation.id``. An inventory without an id
    gets the same placeholder id ('organisation') for every firm, so then the name tells two
    firms apart: two anonymous organisations with different names are two organisations."""
    org = report.get("organisation") or {}
    ident = str(org.get("id"))
    return ident if ident != ORGANISATION_SUBJECT else f"{ident} ({org.get('name')})"


def identity_path(report: dict[str, Any]) -> tuple[str, str]:
    """Where a report's identity is written (for a problem's position)."""
    org = report.get("organisation") or {}
    return ("organisation", "name") if str(org.get("id")) == ORGANISATION_SUBJECT else ("organisation", "id")


def organisation(report: dict[str, Any]) -> str:
    """The organisation of a report, as a message names it: ``'id' (name)``."""
    org = report.get("organisation") or {}
    name = org.get("name")
    return f"{org.get('id')!r}" + (f" ({name})" if name and name != org.get("id") else "")


def same_organisation(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Raise InputError when the two reports are of different organisations: the other
    company's findings are not "resolved"."""
    if identity(old) == identity(new):
        return
    where = identity_path(new)
    line, col = locate(new["_file"], where) if "_file" in new else (1, 1)
    message = (
        f"the reports are of different organisations: {old.get('_file')} is of {organisation(old)}, "
        f"{new.get('_file')} of {organisation(new)}; diff compares two reports of one organisation"
    )
    raise InputError([Diagnostic(new.get("_file", ""), line, col, message, ".".join(where))])


#: The input roles that make up a report's policy set.
POLICY_ROLES = frozenset({"policy", "pack", "stages"})


def _listed(ids: Sequence[str], limit: int = 5) -> str:
    shown_ids = ", ".join(_cut(i, 40) for i in ids[:limit])
    return shown_ids + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def policy_differences(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """How the policy sets of two reports differ (the rules they list, and the digests of the
    policy, pack and stage files they read), in a few words; None when they do not."""

    def rules(report: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        return {r["id"]: (r["severity"], r["lever"], r["stage"], r["scope"]) for r in report["rules"]}

    def roles(report: dict[str, Any]) -> set[str]:
        return {i["role"] for i in report["inputs"]}

    # a report of an smgov that did not list the pack.yaml files is compared without them
    compared = POLICY_ROLES if "pack" in roles(old) & roles(new) else POLICY_ROLES - {"pack"}

    def digests(report: dict[str, Any]) -> list[str]:
        return sorted(i["sha256"] for i in report["inputs"] if i["role"] in compared)

    before, after = rules(old), rules(new)
    parts = []
    gone = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    if gone:
        parts.append(f"rules only in the old report: {_listed(gone)}")
    if added:
        parts.append(f"rules only in the new report: {_listed(added)}")
    if changed:
        parts.append(f"rules changed (severity, lever, stage or scope): {_listed(changed)}")
    if not parts and digests(old) != digests(new):
        parts.append("the policy, pack or stage files differ")
    return "; ".join(parts) or None


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
    """Compare two checked reports (``load_report``) of one organisation; InputError if they
    are of two (``same_organisation``)."""
    before, after = _items(old), _items(new)

    def order(items: Sequence[Item]) -> tuple[Item, ...]:
        return tuple(sorted(items, key=lambda i: (i.rule_id, i.subject_kind, i.subject_id)))

    same_organisation(old, new)
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
    return escape.terminal("\n".join(lines) + "\n")


def md(value: object) -> str:
    return escape.markdown(str(value))


def code(value: object) -> str:
    return escape.code(str(value), cell=True)


def render_markdown(d: Diff, verbose: bool = False) -> str:
    lines = [
        "## smgov: findings compared",
        "",
        f"**{len(d.new)} new**, {len(d.resolved)} resolved, {len(d.unchanged)} unchanged "
        f"({escape.code(d.old_file)} → {escape.code(d.new_file)})",
    ]
    if d.stages:
        lines += ["", "| stage of | before | after |", "|---|---|---|"]
        lines += [f"| {md(c.what)} | {md(c.old or '—')} | {md(c.new or '—')} |" for c in d.stages]
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
                f"| {md(i.severity)} | {code(i.rule_id)} | {md(i.subject_kind)} {code(i.subject_id)} "
                f"| {md(i.message)}{waived} |"
            )
    if d.severity_changed:
        lines += ["", "### Severity changed", "", "| rule | subject | before | after |", "|---|---|---|---|"]
        lines += [
            f"| {code(c.item.rule_id)} | {code(c.item.subject_id)} | {md(c.old)} | {md(c.item.severity)} |"
            for c in d.severity_changed
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
    return json_text(data) + "\n"
