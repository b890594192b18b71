"""The assess step: rule results -> the stage reached by the organisation, each department
and each lever, imbalance, distance to target and the Altimeter crosswalk.

Everything here is a pure function of the policy set, the rule results and the inventory;
``docs/maturity.md`` describes the computation in words, with a worked example.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

from engine.assess.coverage import Coverage
from engine.evaluate.evaluation import RuleResult
from engine.evaluate.findings import departments_of
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.inventory import Inventory
from engine.policy.policies import PolicySet
from engine.policy.stages import ALTIMETER, Ladder, Stage
from engine.vocabulary import DEPARTMENT_FIELD, LEVERS

CROSSWALK_NOTE = (
    "Approximate: the four MIP-2015 stages stay primary. Altimeter-2013's six stages come from a "
    "survey of social strategists and measure a related but different thing, so this is only a rough guide."
)


@dataclass(frozen=True)
class Tally:
    """One rule's checks over some population (the organisation, a department, a lever)."""

    rule_id: str
    stage: str
    lever: str
    severity: str
    applied: int
    failed: int


@dataclass(frozen=True)
class GateResult:
    """How one stage's gate fares on one population's rules.

    The gate weighs rules, not subjects: a rule passes when it passes on every subject it
    applies to, so adding subjects that pass changes nothing. ``checks`` and
    ``passed_checks`` count the subject checks of the other rules, for information only."""

    stage: str
    passed: bool
    blocking_severities: tuple[str, ...]
    requires: tuple[str, ...]  # the rules that define the stage (stages.yaml)
    blocking_rules: tuple[str, ...]  # required or blocking-severity rules with at least one check
    blocking_failed: tuple[str, ...]  # ... of which failing on at least one subject
    rules: int  # the other rules of the stage that apply (at least one check)
    passed_rules: int  # ... of which passing on every subject
    weight: int  # their severity weight
    passed_weight: int
    checks: int  # subject checks of those rules (information; the gate does not count them)
    passed_checks: int
    min_pass_ratio: float
    must_pass: int  # ceil(min_pass_ratio * weight)
    pass_ratio: float | None  # passed_weight / weight; None when nothing weighs
    spare: int  # weight of passing rules that could still fail with the ratio still met
    shortfall: int  # further weight that must pass to meet the ratio (0 when met)


@dataclass(frozen=True)
class Standing:
    """The stage some population has reached, and every gate on the way."""

    stage: str  # a stage id, or "none"
    checks: int
    failed: int
    gates: tuple[GateResult, ...]


@dataclass(frozen=True)
class DepartmentAssessment:
    id: str
    name: str
    status: str  # assessed | not_using_social_media | no_checks
    stage: str | None  # None unless assessed
    relative: str | None  # behind | level | ahead of the organisation; None unless assessed
    checks: int
    failed: int
    gates: tuple[GateResult, ...]


@dataclass(frozen=True)
class LeverAssessment:
    lever: str
    rules: int
    checks: int
    failed: int
    weighted_pass_ratio: float | None  # None when no check has weight
    stage: str | None  # None when the lever has no checks
    gates: tuple[GateResult, ...]


@dataclass(frozen=True)
class Imbalance:
    flagged: bool
    spread: int  # highest lever stage minus lowest, in stages
    threshold: int
    strongest: tuple[str, ...]
    weakest: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Keep:
    """What keeps one stage's gate met: the blocking rules and the margin on the ratio."""

    stage: str
    blocking_rules: tuple[str, ...]
    weight: int
    must_pass: int
    spare: int


@dataclass(frozen=True)
class Target:
    stage: str
    source: str  # inventory | default
    status: str  # below | at | above
    distance: int  # stages from the organisation's stage up to the target (negative when above)
    message: str
    keep: tuple[Keep, ...]  # when at or above: every gate up to the target


@dataclass(frozen=True)
class Crosswalk:
    scale: str
    stages: tuple[str, ...]
    position: tuple[str, ...]
    approximate: bool
    note: str


@dataclass(frozen=True)
class Assessment:
    ladder: Ladder
    organisation: Standing
    departments: tuple[DepartmentAssessment, ...]
    levers: tuple[LeverAssessment, ...]
    imbalance: Imbalance
    target: Target
    crosswalk: Crosswalk
    coverage: Coverage | None = None  # how much of each gate could be assessed (engine.assess.coverage)


# --------------------------------------------------------------------------- gates


def gate(ladder: Ladder, stage: Stage, tallies: Iterable[Tally]) -> GateResult:
    """Apply ``stage``'s gate to the tallies of the rules whose stage it is."""
    tallies = [t for t in tallies if t.stage == stage.id]
    rule = stage.gate
    defining = set(rule.requires)

    def blocks(t: Tally) -> bool:
        return t.rule_id in defining or t.severity in rule.blocking_severities

    blocking = [t for t in tallies if blocks(t) and t.applied]
    others = [t for t in tallies if not blocks(t) and t.applied]
    weight_of = dict(ladder.weights)
    weight = sum(weight_of[t.severity] for t in others)
    passed_weight = sum(weight_of[t.severity] for t in others if not t.failed)
    checks = sum(t.applied for t in others)
    must = rule.must_pass(weight)
    failed_blocking = tuple(t.rule_id for t in blocking if t.failed)
    shortfall = max(0, must - passed_weight)
    return GateResult(
        stage=stage.id,
        passed=not failed_blocking and shortfall == 0,
        blocking_severities=rule.blocking_severities,
        requires=rule.requires,
        blocking_rules=tuple(t.rule_id for t in blocking),
        blocking_failed=failed_blocking,
        rules=len(others),
        passed_rules=sum(1 for t in others if not t.failed),
        weight=weight,
        passed_weight=passed_weight,
        checks=checks,
        passed_checks=checks - sum(t.failed for t in others),
        min_pass_ratio=float(rule.min_pass_ratio),
        must_pass=must,
        pass_ratio=round(passed_weight / weight, 4) if weight else None,
        spare=max(0, passed_weight - must),
        shortfall=shortfall,
    )


def climb(ladder: Ladder, tallies: Sequence[Tally]) -> Standing:
    """The highest stage whose gate, and the gate of every stage below it, passes."""
    by_stage: dict[str, list[Tally]] = {}
    for tally in tallies:  # each gate reads its own stage's tallies (a check climbs once per department)
        by_stage.setdefault(tally.stage, []).append(tally)
    gates = tuple(gate(ladder, stage, by_stage.get(stage.id, ())) for stage in ladder.stages)
    rank = 0
    while rank < len(gates) and gates[rank].passed:
        rank += 1
    return Standing(
        stage=ladder.name(rank),
        checks=sum(t.applied for t in tallies),
        failed=sum(t.failed for t in tallies),
        gates=gates,
    )


# --------------------------------------------------------------------------- tallies


def tallies(policies: PolicySet, results: Iterable[RuleResult]) -> tuple[Tally, ...]:
    """Every rule's checks over the whole organisation."""
    by_id = {r.rule_id: r for r in results}
    return tuple(
        Tally(rule.id, rule.stage, rule.lever, rule.severity, by_id[rule.id].applied, len(by_id[rule.id].failed))
        for rule in policies.rules
    )


def department_tallies(
    policies: PolicySet, results: Iterable[RuleResult], inventory: Inventory
) -> dict[str, tuple[Tally, ...]]:
    """Each department's share of every rule's checks: a check counts toward the departments
    its subject belongs to (``DEPARTMENT_FIELD``). Organisation-scope rules and subjects that
    belong to no department count toward none."""
    by_id = {r.rule_id: r for r in results}
    known = {str(d.get("id")) for d in inventory.items("department")}
    memberships: dict[str, _Membership] = {}
    counts: dict[str, list[Tally]] = {d: [] for d in known}
    for rule in policies.rules:
        kind = rule.scope
        if kind not in DEPARTMENT_FIELD:
            continue
        if kind not in memberships:
            memberships[kind] = _Membership(kind, inventory.items(kind), known)
        membership = memberships[kind]
        result = by_id[rule.id]
        applied, failed = membership.count(result.selected), membership.count(result.failed)
        for department, n in applied.items():
            counts[department].append(Tally(rule.id, rule.stage, rule.lever, rule.severity, n, failed[department]))
    return {d: tuple(ts) for d, ts in counts.items()}


class _Membership:
    """The departments of every subject of one kind, counted per selection of those subjects.

    The department column is read once per kind, not once per rule. Rules of one scope often
    share a ``when`` filter, so their selections repeat: each distinct selection is counted
    once. The returned Counters are shared between callers: read them, never change them.
    """

    __slots__ = ("_counted", "_flat", "_lists")

    def __init__(self, kind: str, items: list[dict[str, Any]], known: set[str]) -> None:
        self._flat, self._lists = _owners(kind, items, known)
        self._counted: dict[tuple[int, ...] | None, Counter[str]] = {}

    def count(self, indices: tuple[int, ...] | None) -> Counter[str]:
        """How many of the subjects at ``indices`` (``None``: every subject) belong to each
        department."""
        counted = self._counted.get(indices)
        if counted is None:
            counted = self._counted[indices] = _count(self._flat, self._lists, indices)
        return counted


def _owners(
    kind: str, items: list[dict[str, Any]], known: set[str]
) -> tuple[list[str | None] | None, list[tuple[str, ...]] | None]:
    """Each subject's departments, as one of two shapes: when every subject has at most one
    (the usual case), the flat list of them (``None`` for none), which counts at C speed;
    otherwise, the tuple of each subject's departments."""
    field = DEPARTMENT_FIELD[kind]
    try:  # one pass; dict.get rather than methodcaller("get"), which looks the method up per item
        return list(map(_DepartmentOf(known).__getitem__, map(dict.get, items, repeat(field)))), None
    except TypeError:  # an unhashable value: a list of departments, or (unchecked input) something else
        pass
    column = list(map(dict.get, items, repeat(field)))
    if not any(isinstance(v, list) for v in column):
        return [d if d in known else None for d in map(str, column)], None
    lists = [tuple(d for d in dict.fromkeys(map(str, departments_of(kind, item))) if d in known) for item in items]
    return None, lists


class _DepartmentOf(dict[Any, str | None]):
    """A department field's value -> the known department it names (``None``: none), compared
    as a string. Each distinct string is looked up once, then found at C speed: a column is
    read in a single pass, without first checking every value's type."""

    def __init__(self, known: set[str]) -> None:
        super().__init__()
        self._known = known

    def __missing__(self, value: Any) -> str | None:
        department = str(value)
        found = department if department in self._known else None
        if value is None or type(value) is str:  # others can be equal yet differ as strings: 1 == True
            self[value] = found
        return found


def _count(
    flat: list[str | None] | None, lists: list[tuple[str, ...]] | None, indices: tuple[int, ...] | None
) -> Counter[str]:
    """How many of the subjects at ``indices`` (``None``: every subject) belong to each department."""
    if flat is not None:
        counted = Counter(flat if indices is None else map(flat.__getitem__, indices))
        counted.pop(None, None)  # type: ignore[call-overload]
        return counted  # type: ignore[return-value]
    assert lists is not None
    return Counter(chain.from_iterable(lists if indices is None else map(lists.__getitem__, indices)))


# --------------------------------------------------------------------------- the parts


def _departments(
    ladder: Ladder, inventory: Inventory, by_department: Mapping[str, tuple[Tally, ...]], organisation: str
) -> tuple[DepartmentAssessment, ...]:
    out: list[DepartmentAssessment] = []
    org_rank = ladder.rank(organisation)
    for item in inventory.items("department"):
        ident = str(item.get("id"))
        own = by_department.get(ident, ())
        checks, failed = sum(t.applied for t in own), sum(t.failed for t in own)
        if item.get("uses_social_media") is False:
            status, stage, relative, gates = "not_using_social_media", None, None, ()
        elif not checks:
            status, stage, relative, gates = "no_checks", None, None, ()
        else:
            standing = climb(ladder, own)
            status, stage, gates = "assessed", standing.stage, standing.gates
            rank = ladder.rank(stage)
            relative = "behind" if rank < org_rank else "ahead" if rank > org_rank else "level"
        out.append(
            DepartmentAssessment(ident, str(item.get("name", ident)), status, stage, relative, checks, failed, gates)
        )
    return tuple(out)


def _levers(ladder: Ladder, all_tallies: Sequence[Tally]) -> tuple[LeverAssessment, ...]:
    out: list[LeverAssessment] = []
    for lever in LEVERS:
        own = [t for t in all_tallies if t.lever == lever]
        checks = sum(t.applied for t in own)
        # by rules, like the gates: a rule counts once, passing only on every subject
        total = sum(ladder.weight(t.severity) for t in own if t.applied)
        passing = sum(ladder.weight(t.severity) for t in own if t.applied and not t.failed)
        standing = climb(ladder, own) if checks else None
        out.append(
            LeverAssessment(
                lever=lever,
                rules=len(own),
                checks=checks,
                failed=sum(t.failed for t in own),
                weighted_pass_ratio=round(passing / total, 4) if total else None,
                stage=standing.stage if standing else None,
                gates=standing.gates if standing else (),
            )
        )
    return tuple(out)


def _imbalance(ladder: Ladder, levers: Sequence[LeverAssessment]) -> Imbalance:
    ranks = {lv.lever: ladder.rank(lv.stage) for lv in levers if lv.stage is not None}
    threshold = ladder.imbalance_spread
    if len(ranks) < 2:
        return Imbalance(False, 0, threshold, (), (), "Fewer than two levers have checks: balance not assessed.")
    high, low = max(ranks.values()), min(ranks.values())
    strongest = tuple(lv for lv, r in ranks.items() if r == high)
    weakest = tuple(lv for lv, r in ranks.items() if r == low)
    spread = high - low
    if spread >= threshold:
        message = (
            f"Levers out of balance: {', '.join(strongest)} at {ladder.name(high)} but {', '.join(weakest)} "
            f"at {ladder.name(low)} ({spread} stages apart). Simons' levers are meant to balance: strengthen "
            f"{', '.join(weakest)} before pushing further."
        )
    else:
        message = f"Levers in balance: their stages differ by {spread} (imbalance is flagged from {threshold})."
    return Imbalance(spread >= threshold, spread, threshold, strongest, weakest, message)


def target_of(ladder: Ladder, inventory: Inventory) -> tuple[str, str]:
    """``organisation.target_stage`` and where it came from (``inventory`` or ``default``: the
    top stage). Raises InputError, pointing at the inventory, when the stage is unknown."""
    raw = inventory.organisation.get("target_stage")
    if raw is None:
        return ladder.ids[-1], "default"
    if raw not in ladder.ids:
        file, line, col = inventory.origin("organisation", 0, ("target_stage",))
        message = f"unknown target_stage {raw!r} (stages of {ladder.file or 'the ladder'}: {', '.join(ladder.ids)})"
        raise InputError([Diagnostic(file, line, col, message, "organisation.target_stage")])
    return str(raw), "inventory"


def _target(ladder: Ladder, inventory: Inventory, standing: Standing) -> Target:
    stage, source = target_of(ladder, inventory)
    distance = ladder.rank(stage) - ladder.rank(standing.stage)
    if distance > 0:
        status = "below"
        message = (
            f"Below target: at {standing.stage}, target {stage} ({distance} stage{'s' if distance != 1 else ''} to go)."
        )
        keep: tuple[Keep, ...] = ()
    else:
        status = "at" if distance == 0 else "above"
        keep = tuple(
            Keep(g.stage, g.blocking_rules, g.weight, g.must_pass, g.spare)
            for g in standing.gates[: ladder.rank(stage)]
        )
        blocking = sorted({r for k in keep for r in k.blocking_rules})
        spare = ", ".join(f"{k.stage} {k.spare}" for k in keep if k.weight)
        where = "At target" if status == "at" else f"Above target: at {standing.stage}, target"
        message = (
            f"{where} {stage}; not every firm needs the highest stage. What keeps it there: the "
            f"{len(blocking)} blocking rule{'s' if len(blocking) != 1 else ''} up to {stage} must keep passing"
            + (f", and the other rules may lose at most this much more weight per stage: {spare}." if spare else ".")
        )
    return Target(stage, source, status, distance, message, keep)


def _crosswalk(ladder: Ladder, stage: str) -> Crosswalk:
    return Crosswalk("Altimeter-2013", ALTIMETER, ladder.altimeter(stage), True, CROSSWALK_NOTE)


def assess(
    policies: PolicySet, results: tuple[RuleResult, ...], inventory: Inventory, departments: bool = True
) -> Assessment:
    """The whole assessment (``departments=False``: the organisation's only); InputError for an unknown target."""
    ladder = policies.ladder
    all_tallies = tallies(policies, results)
    standing = climb(ladder, all_tallies)
    levers = _levers(ladder, all_tallies)
    by_department = department_tallies(policies, results, inventory) if departments else {}
    return Assessment(
        ladder=ladder,
        organisation=standing,
        departments=_departments(ladder, inventory, by_department, standing.stage) if departments else (),
        levers=levers,
        imbalance=_imbalance(ladder, levers),
        target=_target(ladder, inventory, standing),
        crosswalk=_crosswalk(ladder, standing.stage),
    )
