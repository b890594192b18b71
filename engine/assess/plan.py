"""The next step and the road to the target: a roadmap a head of social media can hand out.

Each step (one stage's gate) lists whole rules to fix, never "at least n of m" subjects:

1. the rules that define the stage and fail (``blocking``), first;
2. wherever they sit on the ladder, failing critical rules and legal duties (``critical``,
   ``legal_duty``) and failing rules an incident on record bears on (``incident``), in the
   first step: they never wait;
3. when the gate's ratio is short, enough whole rules to close it, most severe first
   (``pass_ratio``): the heaviest rule closes most of the gap and carries most risk;
4. a rule another item comes ``after`` (the meeting before the metric goes on its agenda),
   pulled in when it fails at the same stage (``dependency``).

Items are ordered blocking first, then by severity, then by risk (an incident, a legal
duty), never by how many subjects fail; a dependency always comes before its dependant.
Each item names its accountable owner from the inventory, a rough effort class, what to do
in the organisation and, separately, what to record in the inventory. Everything else that
fails at a stage may wait.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from engine.assess.maturity import Assessment, GateResult, Tally, tallies
from engine.evaluate.evaluation import RuleResult
from engine.evaluate.findings import Finding
from engine.inputs.inventory import Inventory
from engine.policy.ir import CompiledRule
from engine.policy.policies import PolicySet
from engine.vocabulary import COLLECTION_OF, SEVERITY_RANK

BLOCKING = "blocking"
CRITICAL = "critical"
LEGAL_DUTY = "legal_duty"
INCIDENT = "incident"
PASS_RATIO = "pass_ratio"
DEPENDENCY = "dependency"
#: Reasons an item is in a step that the gate itself does not demand: they never wait.
NEVER_WAIT = (CRITICAL, LEGAL_DUTY, INCIDENT)
LEGAL_TAG = "legal-duty"
#: How long an incident keeps raising the items it bears on.
INCIDENT_DAYS = 365
#: An incident's category -> the rule tags it bears on (a category not listed raises nothing).
INCIDENT_TAGS: dict[str, frozenset[str]] = {
    "crisis": frozenset({"crisis", "spokesperson", "revocation"}),
    "security": frozenset({"security", "credentials", "revocation"}),
    "complaint": frozenset({"unheard-signals", "customer-service"}),
    "product_defect": frozenset({"unheard-signals", "quality", "product-development"}),
    "conduct": frozenset({"spokesperson", "junior-voice", "guidelines"}),
    "data_protection": frozenset({"data-protection"}),
}
#: Organisation-wide changes that reorganise work across departments: a large effort.
LARGE_TAGS = frozenset(
    {"process", "collaboration", "two-way", "centre-of-excellence", "breadth", "spread", "evidence", "silos"}
)
#: Who answers for a subject of each kind: (field, what the person is).
OWNER_FIELD: dict[str, tuple[str, str]] = {
    "account": ("owner", "account owner"),
    "process": ("owner", "process owner"),
    "metric": ("owner", "metric owner"),
    "tool": ("owner", "tool owner"),
    "alarm": ("owner", "alarm owner"),
    "document": ("owner", "document owner"),
    "meeting": ("chair", "meeting chair"),
    "department": ("head", "department head"),
}
_RECORD = re.compile(r"(?:^|,?\s+(?:and\s+)?|(?<=\.)\s+)(?:In the inventory:\s*|(?=[Rr]ecord\b))(.*)$", re.S)


@dataclass(frozen=True)
class PlanItem:
    """One rule to fix on all its failing ``subjects``."""

    rule_id: str
    title: str
    lever: str
    severity: str
    scope: str
    reason: str  # blocking | critical | legal_duty | incident | pass_ratio | dependency
    subjects: tuple[str, ...]  # every failing subject of the rule
    departments: tuple[str, ...]  # the departments those subjects belong to
    owner: str  # the accountable person, from the inventory ("" when the inventory names none)
    owner_role: str  # account owner | process owner | department head | executive sponsor | ...
    effort: str  # small | medium | large
    depends_on: tuple[str, ...]  # items of this plan to do first
    incidents: tuple[str, ...]  # incidents on record that raised the item
    action: str  # what to do in the organisation
    record: str  # what to record in the inventory afterwards
    remediation: str  # the rule's remediation, whole
    unblocks: str  # the stage whose step holds it


@dataclass(frozen=True)
class WaitItem:
    """A failing rule the gate tolerates."""

    rule_id: str
    title: str
    lever: str
    severity: str
    scope: str
    subjects: tuple[str, ...]
    may_wait: int


@dataclass(frozen=True)
class Step:
    """What it takes to meet one stage's gate, in the order to do it."""

    stage: str
    title: str
    already_met: bool
    gate: GateResult
    items: tuple[PlanItem, ...]
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


def split_remediation(text: str) -> tuple[str, str]:
    """A remediation as (what to do in the organisation, what to record in the inventory): the
    record part is what follows "In the inventory:", or a closing "... and record ..." clause."""
    text = " ".join(text.split())
    match = _RECORD.search(text)
    if not match or not match.group(1).strip().rstrip(".").lower().removeprefix("record").strip():
        return text, ""  # no record clause ("update the training record." is a noun)
    action = text[: match.start()].strip().rstrip(",;")
    record = match.group(1).strip().rstrip(".")
    if not action and ";" in record:  # "Record X; close Y": the part after the record is an action too
        record, action = (part.strip() for part in record.split(";", 1))
    if action and not action.endswith("."):
        action += "."
    action = action[:1].upper() + action[1:]
    return action, (record[:1].upper() + record[1:] + "." if record else "")


class _Context:
    """What the plan reads from the inventory: who answers for what, and recent incidents."""

    def __init__(self, inventory: Inventory | None, as_of: dt.date | None) -> None:
        self.inventory = inventory
        self._by_id: dict[str, dict[str, dict[str, object]]] = {}
        self.incidents: list[tuple[str, frozenset[str]]] = []
        if inventory is None:
            return
        for incident in inventory.items("incident"):
            tags = INCIDENT_TAGS.get(str(incident.get("category")))
            if not tags:
                continue
            try:
                day = dt.date.fromisoformat(str(incident.get("date")))
            except ValueError:
                continue
            if as_of is None or 0 <= (as_of - day).days <= INCIDENT_DAYS:
                self.incidents.append((str(incident.get("id")), tags))

    def by_id(self, kind: str) -> dict[str, dict[str, object]]:
        """The items of ``kind`` by id, indexed the first time a step asks (most plans ask for
        one or two kinds, and the inventory may hold hundreds of thousands of items)."""
        found = self._by_id.get(kind)
        if found is None:
            items = self.inventory.items(kind) if self.inventory is not None and kind in COLLECTION_OF else []
            found = self._by_id[kind] = {str(i.get("id")): i for i in items}
        return found

    def sponsor(self) -> str:
        return str(self.inventory.governance.get("executive_sponsor") or "") if self.inventory else ""

    def owner(self, rule: CompiledRule, failing: Sequence[Finding]) -> tuple[str, str]:
        """The accountable person: the one owner of every failing subject; else the head of
        their one department; else the executive sponsor."""
        field, role = OWNER_FIELD.get(rule.scope, ("", ""))
        if field:
            items = self.by_id(rule.scope)
            people: set[str] = set()
            for f in failing:  # (thousands may fail: the first missing owner or second person decides)
                value = items.get(f.subject_id, {}).get(field)
                if not value:
                    break
                if str(value) != "None":
                    people.add(str(value))
                    if len(people) > 1:
                        break
            else:
                if len(people) == 1:
                    return people.pop(), role
        departments: set[str] = set()
        for f in failing:
            departments.update(f.departments)
            if len(departments) > 1:
                break
        if len(departments) == 1:
            head = self.by_id("department").get(next(iter(departments)), {}).get("head")
            if head:
                return str(head), "department head"
        sponsor = self.sponsor()
        return (sponsor, "executive sponsor") if sponsor else ("", "management team (no executive sponsor named)")

    def raised_by(self, rule: CompiledRule) -> tuple[str, ...]:
        return tuple(ident for ident, tags in self.incidents if tags & set(rule.tags))


def effort(rule: CompiledRule, subjects: int) -> str:
    """A rough effort class: organisation-wide changes to how departments work are large;
    a document, meeting or single fix is small to medium; per-subject fixes grow with count."""
    if rule.scope == "organisation":
        return "large" if LARGE_TAGS & set(rule.tags) else "medium"
    if subjects <= 3:
        return "small" if rule.scope not in ("department", "process") else "medium"
    return "medium" if subjects <= 15 else "large"


def _failing(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.rule_id, []).append(f)
    return out


def _item(
    policies: PolicySet, ctx: _Context, rule_id: str, failing: Sequence[Finding], reason: str, stage: str
) -> PlanItem:
    rule = policies.rule(rule_id)
    owner, role = ctx.owner(rule, failing)
    action, record = split_remediation(rule.remediation)
    return PlanItem(
        rule_id=rule.id,
        title=rule.title,
        lever=rule.lever,
        severity=rule.severity,
        scope=rule.scope,
        reason=reason,
        subjects=tuple(f.subject_id for f in failing),
        departments=tuple(sorted({d for f in failing for d in f.departments})),
        owner=owner,
        owner_role=role,
        effort=effort(rule, len(failing)),
        depends_on=(),
        incidents=ctx.raised_by(rule),
        action=action or rule.title + ".",
        record=record,
        remediation=" ".join(rule.remediation.split()),
        unblocks=stage,
    )


def _urgent(policies: PolicySet, ctx: _Context, rule_id: str) -> str | None:
    rule = policies.rule(rule_id)
    if rule.severity == "critical":
        return CRITICAL
    if LEGAL_TAG in rule.tags:
        return LEGAL_DUTY
    return INCIDENT if ctx.raised_by(rule) else None


def _order(items: list[PlanItem], policies: PolicySet) -> tuple[PlanItem, ...]:
    """Blocking first, then severity, then risk, then id; each item after the items it comes
    ``after`` (a dependency of a blocking item is done with the blocking ones)."""
    present = {i.rule_id for i in items}
    after = {i.rule_id: tuple(a for a in policies.rule(i.rule_id).after if a in present) for i in items}
    blocking = {i.rule_id for i in items if i.reason == BLOCKING}
    stack = list(blocking)
    while stack:  # what a blocking item needs is needed as much
        for needed in after[stack.pop()]:
            if needed not in blocking:
                blocking.add(needed)
                stack.append(needed)

    def key(i: PlanItem) -> tuple[int, int, int, str]:
        risky = 0 if i.incidents or i.reason in NEVER_WAIT else 1
        return (0 if i.rule_id in blocking else 1, SEVERITY_RANK[i.severity], risky, i.rule_id)

    pending = sorted(items, key=key)
    done: list[PlanItem] = []
    placed: set[str] = set()
    while pending:  # the first item (in key order) whose dependencies are all placed
        ready = next((i for i in pending if set(after[i.rule_id]) <= placed), pending[0])  # a cycle: key order
        pending.remove(ready)
        placed.add(ready.rule_id)
        done.append(replace(ready, depends_on=after[ready.rule_id]))
    return tuple(done)


def step(
    policies: PolicySet,
    stage_tallies: Sequence[Tally],
    gate: GateResult,
    failing: dict[str, list[Finding]],
    ctx: _Context | None = None,
    extra: Sequence[tuple[str, str]] = (),
    done: frozenset[str] = frozenset(),
) -> Step:
    """The plan for one stage's gate, from the organisation's tallies of that stage's rules;
    ``extra``: (rule id, reason) of items that never wait, placed in this step; ``done``:
    rules an earlier step already fixes (they count as passing here and are not repeated)."""
    ctx = ctx or _Context(None, None)
    stage = gate.stage
    ladder = policies.ladder
    chosen: dict[str, str] = {}
    blocking = set(gate.requires) | {t.rule_id for t in stage_tallies if t.severity in gate.blocking_severities}
    for t in stage_tallies:
        if t.failed and t.rule_id in blocking and t.rule_id not in done:
            chosen[t.rule_id] = BLOCKING
    for rule_id, reason in extra:
        chosen.setdefault(rule_id, reason)
    others = [t for t in stage_tallies if t.failed and t.rule_id not in blocking]
    need = gate.shortfall - sum(ladder.weight(t.severity) for t in others if t.rule_id in chosen or t.rule_id in done)
    for t in sorted(others, key=lambda t: (SEVERITY_RANK[t.severity], t.rule_id)):
        if need <= 0:
            break
        if t.rule_id not in chosen and t.rule_id not in done and ladder.weight(t.severity):
            chosen[t.rule_id] = PASS_RATIO
            need -= ladder.weight(t.severity)
    here = {t.rule_id for t in stage_tallies if t.failed}
    stack = list(chosen)
    while stack:  # pull in what a chosen item comes after, when it fails at this stage
        for needed in policies.rule(stack.pop()).after:
            if needed in here and needed not in chosen and needed not in done:
                chosen[needed] = DEPENDENCY
                stack.append(needed)
    items = [_item(policies, ctx, r, failing.get(r, []), reason, stage) for r, reason in chosen.items()]
    waits = [
        WaitItem(t.rule_id, *_meta(policies, t.rule_id), _subjects(failing, t.rule_id), t.failed)
        for t in stage_tallies
        if t.failed and t.rule_id not in chosen and t.rule_id not in done
    ]
    waits.sort(key=lambda w: (SEVERITY_RANK[w.severity], w.rule_id))
    title = next(s.title for s in ladder.stages if s.id == stage)
    return Step(stage, title, gate.passed, gate, _order(items, policies), tuple(waits))


def _meta(policies: PolicySet, rule_id: str) -> tuple[str, str, str, str]:
    rule = policies.rule(rule_id)
    return rule.title, rule.lever, rule.severity, rule.scope


def _subjects(failing: dict[str, list[Finding]], rule_id: str) -> tuple[str, ...]:
    return tuple(f.subject_id for f in failing.get(rule_id, []))


def build(
    policies: PolicySet,
    results: tuple[RuleResult, ...],
    findings: Iterable[Finding],
    assessment: Assessment,
    inventory: Inventory | None = None,
    as_of: dt.date | None = None,
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
    ctx = _Context(inventory, as_of)
    all_tallies = tallies(policies, results)
    gates = assessment.organisation.gates[rank:goal]
    # never wait: critical rules, legal duties and what an incident bears on, from any stage,
    # all in the first step
    urgent = [(t.rule_id, reason) for t in all_tallies if t.failed and (reason := _urgent(policies, ctx, t.rule_id))]
    done = {rule_id for rule_id, _ in urgent}
    steps = tuple(
        step(
            policies,
            [t for t in all_tallies if t.stage == gate.stage],
            gate,
            failing,
            ctx,
            urgent if number == 0 else (),
            done=frozenset() if number == 0 else frozenset(done),
        )
        for number, gate in enumerate(gates)
    )
    first = steps[0]
    waiting = len(first.may_wait)
    message = f"To reach {first.stage}: fix {_plural(len(first.items), 'rule')}"
    message += f"; {_plural(waiting, 'rule')} may wait" if waiting else ""
    message += f". Then {_plural(len(steps) - 1, 'more stage')} to the target, {target}." if len(steps) > 1 else "."
    return NextStep("below_target", current, first.stage, target, message, steps)
