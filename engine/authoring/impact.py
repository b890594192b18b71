"""``smgov policy impact --base REF``: what a policy change does before it merges.

The policies are evaluated twice against the same inventories: as they are at git ``REF``
(extracted with ``git archive`` into a temporary directory) and as they are in the working
tree. The result is, per rule, how its definition changed and which findings it adds and
removes, and, per inventory, any change of stage: Markdown ready to paste as a PR comment.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from engine import pipeline
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.sources import display
from engine.policy import ir, policies
from engine.report import escape
from engine.report.model import Report

#: What a rule is, for comparing two versions of it (not where it is written).
_DEFINITION = tuple(f.name for f in fields(ir.CompiledRule) if f.name not in ("file", "line"))


@dataclass(frozen=True)
class Subject:
    inventory: str
    kind: str
    id: str


@dataclass(frozen=True)
class RuleImpact:
    rule_id: str
    title: str
    status: str  # added | removed | changed | unchanged (its definition)
    changes: tuple[str, ...]  # what changed in its definition
    added: tuple[Subject, ...]  # findings only with the working tree's policies
    removed: tuple[Subject, ...]  # findings only with the base's policies


@dataclass(frozen=True)
class StageImpact:
    inventory: str
    what: str  # organisation | lever <name> | department <id>
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Impact:
    base: str
    policies: tuple[str, ...]
    inventories: tuple[str, ...]
    as_of: str
    rules: tuple[RuleImpact, ...]  # only rules whose definition or findings changed
    stages: tuple[StageImpact, ...]
    findings_before: int
    findings_after: int


def _fail(message: str, where: str = "smgov policy impact") -> InputError:
    return InputError([Diagnostic(where, message=message)])


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise _fail("git is not installed: policy impact compares git revisions") from None


def repository_root(cwd: Path) -> Path:
    done = _git(["rev-parse", "--show-toplevel"], cwd)
    if done.returncode != 0:
        raise _fail(f"not inside a git checkout ({display(cwd)}): run it from the repository that holds the policies")
    return Path(done.stdout.decode().strip()).resolve()


def extract(ref: str, root: Path, into: Path) -> None:
    """The tree of ``ref`` into ``into``, via ``git archive`` (no checkout, no worktree)."""
    verify = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if verify.returncode != 0:
        raise _fail(f"unknown git revision {ref!r}", "--base")
    done = _git(["archive", "--format=tar", verify.stdout.decode().strip()], root)
    if done.returncode != 0:  # pragma: no cover - archive of a verified commit
        raise _fail(f"git archive {ref} failed: {done.stderr.decode().strip()}", "--base")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")


def _in_base(paths: Sequence[str], root: Path, tree: Path) -> list[str]:
    out: list[str] = []
    for raw in paths:
        resolved = Path(raw).resolve()
        try:
            relative = resolved.relative_to(root)
        except ValueError:
            raise _fail(f"{raw} is outside the git checkout {display(root)}", "--policies") from None
        out.append(str(tree / relative))
    return out


def _rewrite(error: InputError, tree: Path, ref: str) -> InputError:
    """Diagnostics about the base's files, named as ``REF:path``."""
    out: list[Diagnostic] = []
    for d in error.diagnostics:
        file = d.file
        resolved = Path(file).resolve()
        if resolved.is_relative_to(tree):
            file = f"{ref}:{resolved.relative_to(tree)}"
        out.append(Diagnostic(file, d.line, d.col, d.message, d.path))
    return InputError(out)


def _changes(old: ir.CompiledRule, new: ir.CompiledRule) -> tuple[str, ...]:
    out: list[str] = []
    for name in _DEFINITION:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if name in ("when", "require"):
            out.append(f"{name} condition changed")
        elif name in ("severity", "stage", "lever", "scope"):
            out.append(f"{name} {before} → {after}")
        else:
            out.append(f"{name} changed")
    return tuple(out)


def _keys(report: Report | None, label: str) -> dict[str, set[Subject]]:
    out: dict[str, set[Subject]] = {}
    for f in report.findings if report else ():
        if not f.waived:
            out.setdefault(f.rule_id, set()).add(Subject(label, f.subject_kind, f.subject_id))
    return out


def _stages(label: str, old: Report | None, new: Report) -> list[StageImpact]:
    out: list[StageImpact] = []

    def compare(what: str, a: str | None, b: str | None) -> None:
        if a != b:
            out.append(StageImpact(label, what, a, b))

    compare("organisation", old.assessment.organisation.stage if old else None, new.assessment.organisation.stage)
    before = {lv.lever: lv.stage for lv in old.assessment.levers} if old else {}
    for lv in new.assessment.levers:
        compare(f"lever {lv.lever}", before.get(lv.lever), lv.stage)
    before = {d.id: d.stage for d in old.assessment.departments} if old else {}
    for d in new.assessment.departments:
        compare(f"department {d.id}", before.get(d.id), d.stage)
    return out


def _order(s: Subject) -> tuple[str, str, str]:
    return (s.inventory, s.kind, s.id)


def default_inventories() -> list[str]:
    examples = Path(__file__).resolve().parents[2] / "examples"  # engine/authoring/impact.py -> the repository
    # an organisation is a directory holding inventory files itself; examples/packs/ groups the
    # sector packs' examples, which need their pack's declared fields (name them with --inventory)
    listed = examples.iterdir() if examples.is_dir() else ()
    found = sorted(p for p in listed if p.is_dir() and any(p.glob("*.y*ml")))
    return [display(p) for p in found]


def run(
    base: str,
    policy_paths: Sequence[str],
    inventories: Sequence[str],
    as_of: dt.date,
    engine: str = "native",
    cwd: Path | None = None,
) -> Impact:
    """Evaluate the policies at ``base`` and in the working tree on the same inventories."""
    root = repository_root(cwd or Path.cwd())
    paths = list(policy_paths) or [display(p) for p in pipeline.default_policies()]
    inventories = list(inventories) or default_inventories()
    if not inventories:
        raise _fail("no inventories to evaluate: pass --inventory PATH", "--inventory")
    current = policies.load(paths)
    with tempfile.TemporaryDirectory(prefix="smgov-impact-") as tmp:
        tree = Path(tmp).resolve()
        extract(base, root, tree)
        old_paths = _in_base(paths, root, tree)
        present = [p for p in old_paths if Path(p).exists()]
        try:
            previous = policies.load(present) if present else None
        except InputError as exc:
            raise _rewrite(exc, tree, base) from None
        reports_old: list[Report | None] = []
        reports_new: list[Report] = []
        for inventory in inventories:
            new = pipeline.run_check(pipeline.CheckOptions((inventory,), tuple(paths), as_of, engine))
            old = (
                pipeline.run_check(pipeline.CheckOptions((inventory,), tuple(present), as_of, engine))
                if previous
                else None
            )
            reports_new.append(new)
            reports_old.append(old)
    before: dict[str, set[Subject]] = {}
    after: dict[str, set[Subject]] = {}
    stages: list[StageImpact] = []
    for label, old, new in zip(inventories, reports_old, reports_new, strict=True):
        for rule, subjects in _keys(old, label).items():
            before.setdefault(rule, set()).update(subjects)
        for rule, subjects in _keys(new, label).items():
            after.setdefault(rule, set()).update(subjects)
        stages += _stages(label, old, new)
    old_rules = {r.id: r for r in previous.rules} if previous else {}
    new_rules = {r.id: r for r in current.rules}
    impacts: list[RuleImpact] = []
    for rule_id in sorted(set(old_rules) | set(new_rules)):
        old_rule, new_rule = old_rules.get(rule_id), new_rules.get(rule_id)
        if old_rule is None:
            status, changes = "added", ()
        elif new_rule is None:
            status, changes = "removed", ()
        else:
            changes = _changes(old_rule, new_rule)
            status = "changed" if changes else "unchanged"
        added = tuple(sorted(after.get(rule_id, set()) - before.get(rule_id, set()), key=_order))
        removed = tuple(sorted(before.get(rule_id, set()) - after.get(rule_id, set()), key=_order))
        if status == "unchanged" and not added and not removed:
            continue
        title = (new_rule or old_rule).title  # type: ignore[union-attr]
        impacts.append(RuleImpact(rule_id, title, status, changes, added, removed))
    return Impact(
        base=base,
        policies=tuple(paths),
        inventories=tuple(inventories),
        as_of=as_of.isoformat(),
        rules=tuple(impacts),
        stages=tuple(stages),
        findings_before=sum(len(v) for v in before.values()),
        findings_after=sum(len(v) for v in after.values()),
    )


def _subjects(subjects: Sequence[Subject], limit: int = 8) -> str:
    shown = [f"{_md(s.inventory)}: {_md(s.kind)} {_code(s.id)}" for s in subjects[:limit]]
    more = len(subjects) - limit
    return "<br>".join(shown) + (f"<br>… and {more} more" if more > 0 else "")


def _md(value: object) -> str:
    return escape.markdown(str(value))


def _code(value: object) -> str:
    return escape.code(str(value), cell=True)


def render_markdown(impact: Impact) -> str:
    """The PR comment."""
    changed = [r for r in impact.rules if r.status != "unchanged"]
    added = sum(len(r.added) for r in impact.rules)
    removed = sum(len(r.removed) for r in impact.rules)
    lines = [
        f"## smgov policy impact: {_code(impact.base)} → working tree",
        "",
        f"Policies {', '.join(_code(p) for p in impact.policies)} evaluated on "
        f"{', '.join(_code(i) for i in impact.inventories)} as of {impact.as_of}.",
        "",
        f"**{len(changed)} rule{'s' if len(changed) != 1 else ''} changed**; findings: **+{added} / −{removed}** "
        f"({impact.findings_before} → {impact.findings_after}); "
        f"**{len(impact.stages)} stage change{'s' if len(impact.stages) != 1 else ''}**.",
    ]
    if impact.stages:
        lines += ["", "### Stage changes", "", "| inventory | stage of | before | after |", "|---|---|---|---|"]
        lines += [
            f"| {_code(s.inventory)} | {_md(s.what)} | {_md(s.old or '—')} | {_md(s.new or '—')} |"
            for s in impact.stages
        ]
    if impact.rules:
        lines += [
            "",
            "### Rules",
            "",
            "| rule | change | findings added | findings removed |",
            "|---|---|---|---|",
        ]
        for r in impact.rules:
            what = {"added": "new rule", "removed": "rule removed", "unchanged": "no change in the rule"}.get(
                r.status, "; ".join(r.changes)
            )
            plus = f"+{len(r.added)}<br>{_subjects(r.added)}" if r.added else "—"
            minus = f"−{len(r.removed)}<br>{_subjects(r.removed)}" if r.removed else "—"
            lines.append(f"| {_code(r.rule_id)} {_md(r.title)} | {_md(what)} | {plus} | {minus} |")
    else:
        lines += ["", "No rule changed and no finding changed."]
    return "\n".join(lines) + "\n"
