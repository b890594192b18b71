"""The next step: which failing checks block the next stage's gate, and the road to the target.

A step lists exactly what its gate needs: every failing check of a blocking-severity rule,
and, when the pass ratio of the other checks is short, enough of those failures to reach it
(the rules with the most failing subjects first, so the fewest remediations close the gap).
Every other failure of the stage is listed as one that may wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.assess.maturity import Assessment, GateResult, Tally, tallies
from engine.evaluate.evaluation import RuleResult
from engine.evaluate.findings import Finding
from engine.policy.policies import PolicySet
from engine.vocabulary import LEVERS, SEVERITY_RANK

BLOCKING = "blocking"
PASS_RATIO = "pass_ratio"


@dataclass(frozen=True)
class PlanItem:
    """One rule to act on: fix it on at least ``fix_at_least`` of the failing ``subjects``."""

    rule_id: str
    title: str
    lever: str
    severity: str
    scope: str
    reason: str  # blocking | pass_ratio
    subjects: tuple[str, ...]  # every failing subject of the rule
    departments: tuple[str, ...]  # the departments those subjects belong to
    fix_at_least: int
    remediation: str
    unblocks: str  # the stage whose gate this opens


@dataclass(frozen=True)
class WaitItem:
    """Failures the gate tolerates: ``may_wait`` of the rule's failing ``subjects``."""

    rule_id: str
    title: str
    lever: str
    severity: str
    scope: str
    subjects: tuple[str, ...]
    may_wait: int


@dataclass(frozen=True)
class LeverGroup:
    lever: str
    items: tuple[PlanItem, ...]


@dataclass(frozen=True)
class Step:
    """What it takes to meet one stage's gate."""

    stage: str
    title: str
    already_met: bool
    gate: GateResult
    groups: tuple[LeverGroup, ...]
    may_wait: tuple[WaitItem, ...]


@dataclass(frozen=True)
class NextStep:
    status: str  # below_target | at_target | above_target
    current: str
    next: str | None  # the stage the first step reaches; None at or above the target
    target: str
    message: str
    steps: tuple[Step, ...]  # the road: the next stage first, then each stage up to the target


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _failing(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.rule_id, []).append(f)
    return out


def _item(policies: PolicySet, tally: Tally, failing: Sequence[Finding], reason: str, fix: int, stage: str) -> PlanItem:
    rule = policies.rule(tally.rule_id)
    return PlanItem(
        rule_id=rule.id,
        title=rule.title,
        lever=rule.lever,
        severity=rule.severity,
        scope=rule.scope,
        reason=reason,
        subjects=tuple(f.subject_id for f in failing),
        departments=tuple(sorted({d for f in failing for d in f.departments})),
        fix_at_least=fix,
        remediation=rule.remediation,
        unblocks=stage,
    )


def _wait(policies: PolicySet, tally: Tally, failing: Sequence[Finding], count: int) -> WaitItem:
    rule = policies.rule(tally.rule_id)
    subjects = tuple(f.subject_id for f in failing)
    return WaitItem(rule.id, rule.title, rule.lever, rule.severity, rule.scope, subjects, count)


def step(
    policies: PolicySet, stage_tallies: Sequence[Tally], gate: GateResult, failing: dict[str, list[Finding]]
) -> Step:
    """The plan for one stage's gate, from the organisation's tallies of that stage's rules."""
    stage = gate.stage
    items: list[PlanItem] = []
    waits: list[WaitItem] = []
    for t in stage_tallies:
        if t.severity in gate.blocking_severities and t.failed:
            items.append(_item(policies, t, failing.get(t.rule_id, []), BLOCKING, t.failed, stage))
    others = [t for t in stage_tallies if t.severity not in gate.blocking_severities and t.failed]
    others.sort(key=lambda t: (-t.failed, SEVERITY_RANK[t.severity], t.rule_id))
    need = gate.shortfall
    for t in others:
        subjects = failing.get(t.rule_id, [])
        fix = min(need, t.failed)
        need -= fix
        if fix:
            items.append(_item(policies, t, subjects, PASS_RATIO, fix, stage))
        if fix < t.failed:
            waits.append(_wait(policies, t, subjects, t.failed - fix))
    items.sort(key=lambda i: (SEVERITY_RANK[i.severity], -len(i.subjects), i.rule_id))
    waits.sort(key=lambda w: (LEVERS.index(w.lever), SEVERITY_RANK[w.severity], -w.may_wait, w.rule_id))
    groups = tuple(
        LeverGroup(lever, tuple(i for i in items if i.lever == lever))
        for lever in LEVERS
        if any(i.lever == lever for i in items)
    )
    title = next(s.title for s in policies.ladder.stages if s.id == stage)
    return Step(stage, title, gate.passed, gate, groups, tuple(waits))


def build(
    policies: PolicySet, results: tuple[RuleResult, ...], findings: Iterable[Finding], assessment: Assessment
) -> NextStep:
    """The next step and the road to the target, stage by stage."""
    ladder = assessment.ladder
    current = assessment.organisation.stage
    target = assessment.target.stage
    rank, goal = ladder.rank(current), ladder.rank(target)
    if rank >= goal:
        status = "at_target" if rank == goal else "above_target"
        return NextStep(status, current, None, target, assessment.target.message, ())
    failing = _failing(findings)
    all_tallies = tallies(policies, results)
    steps = tuple(
        step(policies, [t for t in all_tallies if t.stage == gate.stage], gate, failing)
        for gate in assessment.organisation.gates[rank:goal]
    )
    first = steps[0]
    count = sum(len(g.items) for g in first.groups)
    waiting = len(first.may_wait)
    message = f"To reach {first.stage}: act on {_plural(count, 'rule')}"
    message += f"; failures of {_plural(waiting, 'rule')} may wait" if waiting else ""
    message += f". Then {_plural(len(steps) - 1, 'more stage')} to the target, {target}." if len(steps) > 1 else "."
    return NextStep("below_target", current, first.stage, target, message, steps)
