"""From rule results to findings: one per failing (rule, subject), with evidence and location."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from itertools import chain, starmap
from operator import attrgetter
from types import CodeType
from typing import Any, TypeVar

from engine.evaluate import derive, native
from engine.evaluate.evaluation import RuleResult
from engine.evaluate.messages import message_renderer
from engine.inputs.inventory import Inventory
from engine.policy import ir
from engine.policy.policies import PolicySet
from engine.vocabulary import DEPARTMENT_FIELD, LEVERS, SEVERITY_RANK


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    col: int


#: The location of a finding whose position nobody asked for (``by_rule(located=False)``: a
#: portfolio counts each organisation's findings and never shows one, so it skips finding
#: them in the files, which for YAML means composing the document a second time).
UNLOCATED = Location("", 0, 0)


@dataclass(frozen=True)
class Evidence:
    """A value the rule looked at, by the label of what it read (``owner``, ``count(admins)``)."""

    label: str
    value: Any


@dataclass(frozen=True)
class Waiver:
    """The waiver (``--waivers``) that matched a finding: ``active`` waives it, ``expired`` no longer does."""

    status: str  # active | expired
    justification: str
    approved_by: str
    expires: str  # YYYY-MM-DD, the last day it applies (inclusive)
    file: str
    line: int


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    lever: str
    stage: str
    severity: str
    subject_kind: str
    subject_id: str
    departments: tuple[str, ...]
    message: str
    evidence: tuple[Evidence, ...]
    location: Location
    remediation: str
    references: tuple[str, ...]
    fingerprint: str
    waiver: Waiver | None = None
    members: tuple[str, ...] = ()  # a group finding (one cause, several subjects): every member's id
    frameworks: tuple[str, ...] = ()  # of the rule: reports show them beside its references

    @property
    def waived(self) -> bool:
        """An active waiver accepts it: reported, but it fails nothing and blocks no stage."""
        return self.waiver is not None and self.waiver.status == "active"

    def sort_key(self) -> tuple[Any, ...]:
        return (
            SEVERITY_RANK[self.severity],
            LEVERS.index(self.lever),
            self.rule_id,
            self.subject_kind,
            self.subject_id,
        )


def fingerprint(rule_id: str, kind: str, subject_id: str) -> str:
    """Stable identity of a finding: rule, subject kind and id; never the file or the line."""
    return sha256(f"{rule_id}\x1f{kind}\x1f{subject_id}".encode()).hexdigest()[:32]


def evidence_operands(rule: ir.CompiledRule) -> tuple[tuple[str, ir.Operand], ...]:
    """What the ``require`` condition reads, each once, in reading order, with its label."""
    seen: dict[str, ir.Operand] = {}
    for node in ir.walk(rule.require):
        if isinstance(node, ir.Test):
            # a comparison of two fields shows both values beside its result
            left = node.left
            parts: tuple[ir.Operand | str, ...] = ()
            if isinstance(left, ir.SameFolded):
                parts = (left.left, left.right)
            elif isinstance(left, ir.DaysBetween):
                parts = (left.field, left.start)
            for operand in (*parts, node.left, node.right):
                if isinstance(operand, (ir.Field, *ir.DERIVED_TYPES)) and not (
                    isinstance(operand, ir.Field) and operand.root == "item"
                ):
                    seen.setdefault(operand.label(), operand)
    return tuple(seen.items())


def departments_of(kind: str, subject: Any) -> tuple[str, ...]:
    path = DEPARTMENT_FIELD.get(kind)
    if path is None:
        return ()
    value = subject.get(path)
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _organisation_location(rule: ir.CompiledRule, inventory: Inventory) -> Location:
    """The organisation block, or the governance block when that is what the rule reads first."""
    subpath: tuple[str, ...] = ()
    fields = [n.left for n in ir.walk(rule.require) if isinstance(n, ir.Test) and isinstance(n.left, ir.Field)]
    if fields and fields[0].root == "subject" and fields[0].path[0] == "governance" and inventory.governance:
        subpath = ("governance",)
    return Location(*inventory.origin("organisation", 0, subpath))


def build(
    policies: PolicySet,
    results: tuple[RuleResult, ...],
    inventory: Inventory,
    as_of: dt.date,
    scope: derive.Scope | None = None,
) -> tuple[Finding, ...]:
    """Every finding, in a deterministic order (severity, lever, rule, subject)."""
    return ordered(by_rule(policies, results, inventory, as_of, scope))


def by_rule(
    policies: PolicySet,
    results: Iterable[RuleResult],
    inventory: Inventory,
    as_of: dt.date,
    scope: derive.Scope | None = None,
    located: bool = True,
) -> list[list[Finding]]:
    """The findings of each rule with any, each rule's by subject id (see :func:`ordered`);
    ``located=False``: each at :data:`UNLOCATED` instead of its file, line and column."""
    scope = scope or derive.Scope(inventory, as_of)
    rules = {rule.id: rule for rule in policies.rules}
    per_rule = [_findings_of(rules[result.rule_id], result, inventory, scope, located) for result in results]
    return [sorted(found, key=attrgetter("subject_id")) for found in per_rule if found]


def ordered(per_rule: list[list[Finding]]) -> tuple[Finding, ...]:
    """The findings of :func:`by_rule` (of one or several calls) in ``Finding.sort_key`` order:
    a rule's findings share the key up to the subject id, so the rules are ordered once and
    each keeps its order by subject id (the same order as sorting them all, faster)."""
    return tuple(chain.from_iterable(sorted(per_rule, key=lambda found: found[0].sort_key())))


def _evidence_maker(labels: tuple[str, ...]) -> Callable[[tuple[Any, ...]], tuple[Evidence, ...]]:
    """``evidence(values)`` for one rule's labels. Failing subjects often show the same values
    (``mfa: false``), so each distinct tuple of values gets its Evidence objects once; values
    count as the same only with the same types (``1``, ``1.0`` and ``True`` are equal in
    Python, not in a report), and floats are never shared (``0.0 == -0.0``)."""
    cache: dict[tuple[Any, ...], tuple[Evidence, ...]] = {}

    def evidence(values: tuple[Any, ...]) -> tuple[Evidence, ...]:
        types = tuple(map(type, values))
        key: tuple[Any, ...] | None = None if float in types else (values, types)
        try:
            found = cache.get(key) if key is not None else None
        except TypeError:  # a list or mapping among the values: not hashable, not shared
            key = found = None
        if found is None:
            found = tuple(map(Evidence, labels, values))
            if key is not None:
                cache[key] = found
        return found

    return evidence


def _findings_of(
    rule: ir.CompiledRule, result: RuleResult, inventory: Inventory, scope: derive.Scope, located: bool
) -> list[Finding]:
    if not result.failed:
        return []
    kind = rule.scope
    if kind == "organisation":
        subjects = [inventory.organisation_subject()]
        ids = [inventory.organisation_id]
        locations = [_organisation_location(rule, inventory) if located else UNLOCATED]
    else:
        subjects = list(map(inventory.items(kind).__getitem__, result.failed))
        ids = [str(subject.get("id")) for subject in subjects]
        if located:
            locations = list(starmap(_location(), inventory.item_origins(kind, result.failed)))
        else:
            locations = [UNLOCATED] * len(subjects)
    operands = evidence_operands(rule)
    evidence_of = _evidence_maker(tuple(label for label, _ in operands))
    values_of = native.compile_operands(tuple(operand for _, operand in operands), scope)
    message_of = message_renderer(rule.message, scope)
    make = maker(
        Finding,
        rule_id=rule.id,
        title=rule.title,
        lever=rule.lever,
        stage=rule.stage,
        severity=rule.severity,
        subject_kind=kind,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=rule.frameworks,
    )
    # departments and fingerprint as departments_of() and fingerprint() give them, written out
    # for the usual case (a check builds tens of thousands of findings)
    field, prefix = DEPARTMENT_FIELD.get(kind), f"{rule.id}\x1f{kind}\x1f"
    found = [
        make(
            subject_id=subject_id,
            departments=(d,) if (d := subject.get(field)).__class__ is str else departments_of(kind, subject),
            message=message_of(subject),
            evidence=evidence_of(values_of(subject)),
            location=location,
            fingerprint=sha256(f"{prefix}{subject_id}".encode()).hexdigest()[:32],
        )
        for subject, subject_id, location in zip(subjects, ids, locations, strict=True)
    ]
    links = _links(rule)
    return _grouped(rule, links, subjects, found, scope) if links and len(found) > 1 else found


def _links(rule: ir.CompiledRule) -> tuple[ir.Related, ...]:
    """The ``related ... others: true`` of a rule's ``require``: subjects they link are one cause."""
    return tuple(n for n in ir.walk(rule.require) if isinstance(n, ir.Related) and n.others and n.on)


def _grouped(
    rule: ir.CompiledRule,
    links: tuple[ir.Related, ...],
    subjects: list[Any],
    found: list[Finding],
    scope: derive.Scope,
) -> list[Finding]:
    """Failing subjects that a rule's ``others`` links tie together (the same account listed
    twice) are one finding naming every member, not one per member: the first member's (by
    id) finding, its message followed by the others, its fingerprint made from every member."""
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[Any, ...], int] = {}
    for number, subject in enumerate(subjects):
        for link_number, link in enumerate(links):
            folds = link.normalise or ("",) * len(link.on)
            key = tuple(
                derive.normalised(derive.read(f, (subject, None), scope), how)
                for (_, f), how in zip(link.on, folds, strict=True)
            )
            if any(v is None for v in key):
                continue
            other = first_with.setdefault((link_number, *key), number)
            parent[root(number)] = root(other)
    groups: dict[int, list[Finding]] = {}
    for number, finding in enumerate(found):
        groups.setdefault(root(number), []).append(finding)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        group.sort(key=attrgetter("subject_id"))
        first, members = group[0], tuple(f.subject_id for f in group)
        out.append(
            dataclasses.replace(
                first,
                message=f"{first.message} (the same as {', '.join(members[1:])})",
                departments=tuple(dict.fromkeys(d for f in group for d in f.departments)),
                fingerprint=fingerprint(rule.id, rule.scope, "\x1e".join(members)),
                members=members,
            )
        )
    return out


T = TypeVar("T")


@lru_cache(maxsize=1)
def _location() -> Callable[[str, int, int], Location]:
    """``Location(file, line, col)``, built as :func:`maker` builds findings (a check locates
    tens of thousands: a frozen dataclass's ``__init__`` costs more than finding the line)."""
    return maker(Location)


@lru_cache(maxsize=64)
def _maker_code(cls: type, shared: tuple[str, ...]) -> tuple[CodeType, dict[str, Any]]:
    """:func:`maker`'s compiled ``make`` (once per process, not per rule and organisation)."""
    if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    fields = dataclasses.fields(cls)
    plain = all(f.init and f.default_factory is dataclasses.MISSING for f in fields)
    if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__") or not plain:
        raise TypeError(f"{cls.__name__} needs its own __init__")
    unknown = set(shared) - {f.name for f in fields}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
    rest = [f for f in fields if f.name not in shared]
    defaults = {f.name: f.default for f in rest if f.default is not dataclasses.MISSING}
    params = ", ".join(f"{f.name}=_defaults[{f.name!r}]" if f.name in defaults else f.name for f in rest)
    body = "".join(f"    values[{f.name!r}] = {f.name}\n" for f in rest)
    source = (
        f"def make({params}):\n    values = _template.copy()\n{body}"
        "    instance = _new(_cls)\n    _set(instance, '__dict__', values)\n    return instance\n"
    )
    return compile(source, f"<{cls.__name__} maker>", "exec"), defaults


def maker(cls: type[T], **shared: Any) -> Callable[..., T]:
    """Many instances of one frozen dataclass, built fast (the findings of a large check).

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (about 5 µs
    for a ``Finding``); this builds the very same objects from a copy of a prepared field dict.

    ``make(...)`` -> ``cls(**shared, ...)``: the other fields, in field order, positional or
    by name (those with a default may be left out). For a frozen dataclass whose ``__init__``
    only sets its fields: no ``__post_init__``, slots, init-only or factory-default fields."""
    code, defaults = _maker_code(cls, tuple(sorted(shared)))
    # in field order: setting a key again keeps its place, so each instance's dict is ordered as __init__ orders it
    template = {f.name: shared.get(f.name, f.default) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    namespace = {
        "_template": template,
        "_defaults": defaults,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_cls": cls,
    }
    exec(code, namespace)
    return namespace["make"]  # type: ignore[no-any-return]
