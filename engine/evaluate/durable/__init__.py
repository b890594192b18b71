"""The durable-rules evaluator: an independent check of the native one.

Derived values (counts, shares, ratios, day differences, regex matches, list quantifiers,
related counts) come from ``engine.evaluate.derive``, as for ``native``. Everything above them is
evaluated by durable-rules 2.0.28 itself: ``all``/``any``/``not``, ``exists``, ``equals``,
``not_equals``, the orderings, ``one_of`` and ``contains`` with a literal. Only a leaf that
compares two fields (``{ref: PATH}``) is precomputed (see "Refs" below). What durable cannot
be trusted with raises ``EvaluatorRefused`` naming the rule, never a silent difference.

Encoding (/work/shared/durable-rules-notes.md has the measured quirks it avoids):

* One **fact** per subject: ``{"sid", "id", "t": "subject", "i": INDEX, "v<k>": VALUE…}``.
  ``v<k>`` is slot ``k``: the value of a field or derived operand. A missing or ``null``
  value is **omitted** (durable counts ``null`` as present) or, in the slots that serve a
  negated test, replaced by a sentinel that makes the complement test true (see
  ``_MISSING_TEXT``). Values are encoded so durable cannot coerce across types: strings
  become ``"s" + hex of their UTF-8`` (no escapes, never numeric-looking), booleans
  ``"bt"``/``"bf"``, numbers stay numbers, written so durable's number reader takes them
  exactly (it reads ``1e-05`` as ``1`` and loses the rest of the batch). Lists for
  ``contains`` end with a sentinel item ``"z"``: durable's ``$iall`` is false on an empty
  list. Each value's type is checked against the tests that use it: a mismatch is refused.
* ``not`` is pushed down to the leaves (De Morgan): every operator but ``exists`` is false on
  a missing value and its negation true. The only negation is the per-fact ``$nex``, never a
  negated pattern, so durable's early-firing negation does not arise.
* Per rule, one durable rule for which subjects ``when`` selects (or, when a sample says it
  selects most, which it does not: each firing costs a trip through durable's action queue)
  and one for "when holds and require fails". A durable rule holds at most 15 ``$and``/``$or``
  groups (error 113) and a ruleset's alpha network must fit handleAlpha's 64-entry stack
  (error 303): too big an expression is split into a disjunction of smaller rules (results
  are collected into sets, so overlapping pieces and repeated firings are harmless), and rules
  are packed into rulesets of at most 31 rules + the trigger rule within a computed stack
  bound (``_cost``).
* Rulesets are created once per distinct definition and kept (durable leaks memory per
  ruleset created); each run uses a unique ``sid`` and deletes its state afterwards. A
  trigger fact asserted last, matched by the ruleset's last rule, flushes the queued results:
  a run that ends without seeing it exactly once, last, fails loudly.
* durable identifies facts by a 32-bit FNV-1a hash of their ``id``. Ids are chosen here,
  re-salted on a collision, and checked: if two facts of one session still share a hash the
  evaluator refuses rather than lose a finding.

Refs: durable's ``{"$m": name}`` same-fact comparison is not used. Its test lives in the
rule's beta "expression sequence", which is filled only by the rule that creates a shared
alpha node (a second rule with the same test would skip it) and evaluates ``$or`` without the
alpha tests beside it; ``$iany`` with ``$m`` is error 102. So ``a op {ref: b}`` is one slot:
``a - b`` (compared with 0 by durable; exact in sign for finite numbers) for orderings, the
boolean of the comparison for ``equals``, ``not_equals`` and ``contains``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from engine.evaluate.derive import Scope, holds
from engine.evaluate.derive import value as derived_value
from engine.evaluate.durable.encoding import _fill
from engine.evaluate.durable.ids import _assign_ids, check_ids, fnv1a32
from engine.evaluate.durable.limits import _SUBJECT, _TRIGGER_ID
from engine.evaluate.durable.rulesets import _compile_scope
from engine.evaluate.durable.session import _CACHE, _IMPORT_ERROR, _dre, _session
from engine.evaluate.evaluation import EvaluatorRefused, RuleResult
from engine.inputs.inventory import Inventory
from engine.policy import ir
from engine.policy.policies import PolicySet

__all__ = ["EvaluatorRefused", "check_ids", "evaluate", "fnv1a32"]

# -- the evaluator --------------------------------------------------------------------------

#: Subjects sampled to guess whether ``when`` selects most of a collection.
SAMPLE = 64


def evaluate(
    policies: PolicySet, inventory: Inventory, as_of: dt.date, scope: Scope | None = None
) -> tuple[RuleResult, ...]:
    """Run every rule through durable-rules; the same results as ``engine.evaluate.native.evaluate``."""
    if _dre is None:
        raise EvaluatorRefused(f"durable-rules cannot be imported here: {_IMPORT_ERROR}")
    scope = scope or Scope(inventory, as_of)  # the pipeline shares one per check (indexes)
    by_scope: dict[str, list[ir.CompiledRule]] = {}
    for rule in policies.rules:
        by_scope.setdefault(rule.scope, []).append(rule)
    results: dict[str, RuleResult] = {}
    with _CACHE.lock:
        keep: set[str] = set()
        for kind, rules in by_scope.items():
            subjects = [inventory.organisation_subject()] if kind == "organisation" else inventory.items(kind)
            results.update(_evaluate_scope(kind, rules, subjects, scope, keep))
    return tuple(results[rule.id] for rule in policies.rules)


def _complements(rules: Sequence[ir.CompiledRule], subjects: Sequence[Any], scope: Scope) -> list[bool]:
    """For each rule, whether its ``when`` seems to select more than half the subjects.

    Only a cost heuristic (which of "selected" / "not selected" durable reports); the
    results come from durable either way."""
    step = max(1, len(subjects) // SAMPLE)
    sample = subjects[::step][:SAMPLE]
    out = []
    for rule in rules:
        if rule.when is None or not sample:
            out.append(False)
            continue
        try:
            chosen = sum(1 for s in sample if holds(rule.when, (s, None), scope))
        except Exception:  # a heuristic must not fail the run; _fill reports bad values
            chosen = 0
        out.append(2 * chosen > len(sample))
    return out


def _values(operand: ir.Operand, subjects: Sequence[Any], scope: Scope) -> list[Any]:
    """``engine.evaluate.derive.value`` of ``operand`` for each subject (a plain field of the subject is
    read inline, exactly as ``derive.get`` does; the organisation's fields are read once)."""
    if isinstance(operand, ir.Field) and operand.root in ("organisation", "governance"):
        return [derived_value(operand, (subjects[0], None), scope)] * len(subjects)
    if (
        isinstance(operand, ir.Field)
        and operand.root == "subject"
        and len(operand.path) == 1
        and all(type(s) is dict for s in subjects)
    ):
        name = operand.path[0]
        return [s.get(name) for s in subjects]
    return [derived_value(operand, (s, None), scope) for s in subjects]


def _evaluate_scope(
    kind: str, rules: Sequence[ir.CompiledRule], subjects: Sequence[Any], scope: Scope, keep: set[str]
) -> dict[str, RuleResult]:
    complement = _complements(rules, subjects, scope)
    slots, chunks = _compile_scope(kind, rules, complement)
    selected: list[set[int]] = [set() for _ in rules]
    unselected: list[set[int]] = [set() for _ in rules]
    failed: list[set[int]] = [set() for _ in rules]
    found = {"selected": selected, "unselected": unselected, "failed": failed}
    if subjects:
        used = [slots[n] for n in sorted(set().union(*(c.slots for c in chunks)))]
        operands: dict[ir.Operand, list[Any]] = {}
        for slot in used:
            for operand in (slot.left, slot.right):
                if operand is not None and operand not in operands:
                    operands[operand] = _values(operand, subjects, scope)
        # each slot's property as it appears in a fact ("" when omitted)
        fragments: dict[int, list[str]] = {}
        for slot in used:
            texts = _fill(slot, operands[slot.left], operands[slot.right] if slot.right else None, kind)
            prefix = f',"{slot.name}":'
            fragments[slot.number] = ["" if t is None else prefix + t for t in texts]
        ids = _assign_ids(len(subjects), [_TRIGGER_ID])
        hashes = {fnv1a32(i) for i in (*ids, _TRIGGER_ID)}
        for number, chunk in enumerate(chunks):
            keep.add(chunk.text)
            names = [f"r{k}" for k in range(len(chunk.rules))]
            ruleset = _CACHE.get(chunk.text, names, keep)
            columns = [fragments[s] for s in chunk.slots]
            bodies = [
                f'"id":"{ident}","t":"{_SUBJECT}","i":{index}{"".join(row)}}}'
                for index, (ident, *row) in enumerate(zip(ids, *columns, strict=True))
            ]

            def facts(sid: str, bodies: list[str] = bodies) -> str:
                head = f'{{"sid":"{sid}",'
                return "[" + ",".join(head + body for body in bodies) + "]"

            what = f"scope {kind}, ruleset {number + 1} of {len(chunks)}"
            run = _session(ruleset, facts, hashes, what)
            for name, drule in zip(names, chunk.rules, strict=True):
                found[drule.role][drule.rule].update(run.hits[name])
    out: dict[str, RuleResult] = {}
    everyone = range(len(subjects))
    for number, rule in enumerate(rules):
        if rule.when is None:
            chosen = None
            applied = len(subjects)
        else:
            picked = set(everyone) - unselected[number] if complement[number] else selected[number]
            chosen = tuple(sorted(picked))
            applied = len(chosen)
            if not failed[number] <= picked:
                raise RuntimeError(f"rule {rule.id}: durable-rules reported failures of subjects it did not select")
        out[rule.id] = RuleResult(rule.id, applied, tuple(sorted(failed[number])), chosen)
    return out
