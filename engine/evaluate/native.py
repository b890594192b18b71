"""The default evaluator: compiled rules become one generated Python function per scope.

Each function makes one pass over its collection and evaluates every rule of that scope on
each subject; ``related`` conditions read dict indexes built once per check. Some answers are
found before the pass for all subjects at once (``engine.evaluate.columns``): ``matches`` on a
subject's own field, counts keyed by its own fields, quantifiers over its own lists whose
condition reads only the element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import islice
from types import CodeType
from typing import Any

from engine.evaluate import columns
from engine.evaluate.derive import Scope, fold
from engine.evaluate.evaluation import RuleResult
from engine.inputs.inventory import Inventory
from engine.policy import ir
from engine.policy.patterns import compile_pattern
from engine.policy.policies import PolicySet

_OPS = {"equals": "==", "not_equals": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class _Gen:
    """Generates the source of one scope's check function."""

    def __init__(self) -> None:
        self.constants: list[Any] = []
        # related-item indexes: (collection, the paths they are keyed by, fields each item must
        # have, how each key is normalised)
        self.tables: list[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...], tuple[str, ...]]] = []
        # linked items per key, counted: (collection, paths, normalisation)
        self.counts: list[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]] = []
        self.patterns: list[str] = []  # ``matches`` patterns, each once: ``M[n][text]`` answers
        #: (pattern, top-level subject field), each once: ``V[n][i]`` answers for subject ``i``
        #: (in a scope's check function, which knows its subjects before the pass)
        self.columns: list[tuple[str, str]] = []
        #: (counted table ``C[n]``, the subject's own fields it is keyed by, their normalisation),
        #: each once: ``CC[k][i]`` is the count for subject ``i`` (in a check function)
        self.count_columns: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
        #: (any | all, the subject's own list field, the condition on one element ``_e`` as
        #: source, the ``M`` memos it reads), each once: ``Q[n][i]`` answers for subject ``i``
        self.quantified: list[tuple[str, str, str, tuple[int, ...]]] = []
        self.indexed = False  # generating a check function: the subject's index ``i`` is known
        self.counter = 0
        self.reads: dict[str, int] = {}  # top-level subject field -> times the code reads it
        self.hoisted: dict[str, str] = {}  # top-level subject field -> the local that holds it (generate sets it)

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"

    def pattern(self, source: str) -> str:
        """``M[n]``: the check's memory of which texts ``source`` matches (see :class:`_Matched`)."""
        if source not in self.patterns:
            compile_pattern(source)  # refused now, at generation, if RE2 cannot run it
            self.patterns.append(source)
        return f"M[{self.patterns.index(source)}]"

    def column(self, source: str, name: str) -> str:
        """``V[n]``: whether ``source`` occurs in each subject's text at ``name`` (``columns.matched``)."""
        compile_pattern(source)  # refused now, at generation, if RE2 cannot run it
        if (source, name) not in self.columns:
            self.columns.append((source, name))
        return f"V[{self.columns.index((source, name))}]"

    @staticmethod
    def _own_field(field: ir.Field) -> bool:
        """A top-level field of the subject (answers can be found for every subject at once)."""
        return field.root == "subject" and len(field.path) == 1

    def temp(self) -> str:
        self.counter += 1
        return f"_t{self.counter}"

    def field(self, field: ir.Field, item: str) -> str:
        base = {"subject": "s", "item": item, "organisation": "ORG", "governance": "GOV"}[field.root]
        if not field.path:
            return base
        if base == "s":
            name = field.path[0]
            self.reads[name] = self.reads.get(name, 0) + 1
            if name in self.hoisted:
                local = self.hoisted[name]
                return local if len(field.path) == 1 else f"_get({local}, {field.path[1:]!r})"
        # subjects and related items are records (the schema says so); plain list items have no paths
        expr = f"{base}.get({field.path[0]!r})"
        for part in field.path[1:]:
            expr = f"_get({expr}, {(part,)!r})"
        return expr

    def value(self, operand: ir.Operand, item: str) -> str:
        """An expression whose value is the operand's, ``None`` when missing or undefined.

        Counts are ``len([...])`` of a list comprehension rather than ``sum()`` over a
        generator: on CPython 3.11 resuming a generator for every item costs more (the
        department scope of the benchmark, ~2M related items, runs ~25% faster). A test that
        only asks for at least k of them stops at the k-th instead (:meth:`test`): most
        subjects have one early (a department's first completed training record)."""
        if isinstance(operand, ir.Field):
            return self.field(operand, item)
        t = self.temp()
        if isinstance(operand, (ir.Count, ir.Related)):
            return self.count(operand, item)[0]
        if isinstance(operand, ir.Share):
            inner = f"_i{self.counter}"
            return (
                f"(None if not ({t} := {self.field(operand.list, item)}) else "
                f"len([1 for {inner} in {t} if {self.cond(operand.where, inner)}]) / len({t}))"
            )
        if isinstance(operand, ir.Ratio):
            d = self.temp()
            return (
                f"(None if ({t} := {self.field(operand.numerator, item)}) is None "
                f"or not ({d} := {self.field(operand.denominator, item)}) else {t} / {d})"
            )
        if isinstance(operand, ir.DaysSince):
            return f"{'UNTIL' if operand.until else 'DAYS'}[{self.field(operand.field, item)}]"
        if isinstance(operand, ir.DaysBetween):
            # field - start = days_since(start) - days_since(field): both from the cached DAYS table
            start = repr(operand.start) if isinstance(operand.start, str) else self.field(operand.start, item)
            s = self.temp()
            return (
                f"(None if ({t} := DAYS[{self.field(operand.field, item)}]) is None "
                f"or ({s} := DAYS[{start}]) is None else {s} - {t})"
            )
        if isinstance(operand, ir.Folded):  # texts repeat (platforms, names): each folded once
            return f"(FOLD[{t}] if ({t} := {self.field(operand.field, item)}).__class__ is str else _fold({t}))"
        if isinstance(operand, ir.SameFolded):
            r = self.temp()
            return (
                f"(FOLD[{t}] == FOLD[{r}] if ({t} := {self.field(operand.left, item)}).__class__ is str "
                f"and ({r} := {self.field(operand.right, item)}).__class__ is str else None)"
            )
        if isinstance(operand, ir.Matches) and self.indexed and self._own_field(operand.field):
            column = self.column(operand.pattern, operand.field.path[0])
            return f"(None if not isinstance(({t} := {self.field(operand.field, item)}), str) else {column}[i])"
        if isinstance(operand, ir.Matches):
            pattern = self.pattern(operand.pattern)
            return f"(None if not isinstance(({t} := {self.field(operand.field, item)}), str) else {pattern}[{t}])"
        if (
            isinstance(operand, ir.Quantified)
            and self.indexed
            and self._own_field(operand.list)
            and columns.of_the_element(operand.condition)
        ):  # answered for every subject before the pass (``columns.quantified``)
            condition = self.cond(operand.condition, "_e")  # reads nothing but the element
            memos = tuple(n for n in range(len(self.patterns)) if f"M[{n}]" in condition)
            spec = (operand.quantifier, operand.list.path[0], condition, memos)
            if spec not in self.quantified:
                self.quantified.append(spec)
            return f"Q[{self.quantified.index(spec)}][i]"
        if isinstance(operand, ir.Quantified):
            inner = f"_i{self.counter}"
            fn = "any" if operand.quantifier == "any" else "all"
            return (
                f"(None if not isinstance(({t} := {self.field(operand.list, item)}), list) "
                f"else {fn}({self.cond(operand.condition, inner)} for {inner} in {t}))"
            )
        raise TypeError(f"unknown operand {operand!r}")  # pragma: no cover

    def count(self, operand: ir.Count | ir.Related, item: str) -> tuple[str, str | None]:
        """The count's expression, and, when it counts the items that meet a condition, the
        clause ``for X in POOL if CONDITION`` it is made of (see :meth:`test`: "at least k")."""
        if isinstance(operand, ir.Count):
            items = self.field(operand.list, item)
            if operand.where is None:
                return f"len({items} or ())", None
            inner = f"_i{self.counter}"
            clause = f"for {inner} in ({items} or ()) if {self.cond(operand.where, inner)}"
            return f"len([1 {clause}])", clause
        paths = tuple(p for p, _ in operand.on)
        if operand.on and operand.where is None and (not operand.others or _mirrored(operand)):
            # a plain count: a table of counts. ``others`` on links of each field to itself: the
            # subject is in its own group exactly when its key is (no value missing), so one less
            if (operand.collection, paths, operand.normalise) not in self.counts:
                self.counts.append((operand.collection, paths, operand.normalise))
            table = self.counts.index((operand.collection, paths, operand.normalise))
            if self.indexed and all(self._own_field(ours) for _, ours in operand.on):
                # keyed by the subject's own fields: every subject's count looked up before the pass
                spec = (table, tuple(ours.path[0] for _, ours in operand.on), operand.normalise)
                if spec not in self.count_columns:
                    self.count_columns.append(spec)
                count = f"CC[{self.count_columns.index(spec)}][i]"
            else:
                count = f"C[{table}].get(({', '.join(self.keys(operand, item))},), 0)"
            return (f"max({count} - 1, 0)" if operand.others else count), None
        keys = self.keys(operand, item)
        # only items that have every field the ``where`` needs to hold can count
        needs = tuple(sorted(needed(operand.where))) if operand.where is not None else ()
        if operand.on:
            # a dict index built once per check; a key holding None is never in it (no link)
            self.tables.append((operand.collection, paths, needs, operand.normalise))
            pool = f"T[{len(self.tables) - 1}].get(({', '.join(keys)},), ())"
        elif needs:
            self.tables.append((operand.collection, (), needs, ()))
            pool = f"T[{len(self.tables) - 1}].get((), ())"
        else:
            pool = f"ALL[{operand.collection!r}]"
        inner = f"_i{self.counter}"
        tests = [f"{inner} is not s"] if operand.others else []  # the subject itself left out
        if operand.where is not None:
            tests.append(self.cond(operand.where, inner))
        if not tests:
            return f"len({pool})", None
        clause = f"for {inner} in {pool} if {' and '.join(tests)}"
        return f"len([1 {clause}])", clause

    def keys(self, operand: ir.Related, item: str) -> list[str]:
        """The expressions of the subject's side of each link of ``operand``, normalised."""
        folds = operand.normalise or ("",) * len(operand.on)
        return [self.folded(self.field(f, item), how) for (_, f), how in zip(operand.on, folds, strict=True)]

    @staticmethod
    def folded(expr: str, how: str) -> str:
        """``expr`` normalised as ``related``'s ``normalise`` says (derive.NORMALISE)."""
        return f"NORM[{how!r}][{expr}]" if how else expr

    def test(self, node: ir.Test, item: str) -> str:
        if isinstance(node.left, (ir.Count, ir.Related)) and node.op in ("gte", "gt") and type(node.right) is int:
            # "at least k items meet the condition": stop at the k-th rather than count them all
            least = node.right + (node.op == "gt")
            t = self.temp()  # (a fresh name for the count's item, as value() gives it)
            count, clause = self.count(node.left, item)
            if clause is not None and least >= 1:
                return f"any(True {clause})" if least == 1 else f"_at_least({least}, (True {clause}))"
            return f"(({t} := {count}) is not None and {t} {_OPS[node.op]} {node.right!r})"
        left = self.value(node.left, item)
        if node.op == "exists":
            return f"({left} is {'not ' if node.right else ''}None)"
        t = self.temp()
        if isinstance(node.right, ir.Field):
            r = self.temp()
            right = self.field(node.right, item)
            if node.op == "contains":
                return f"(isinstance(({t} := {left}), list) and ({r} := {right}) is not None and {r} in {t})"
            return f"(({t} := {left}) is not None and ({r} := {right}) is not None and {t} {_OPS[node.op]} {r})"
        if node.op == "one_of":
            return f"({left} in {self.const(frozenset(node.right))})"
        if node.op == "contains":
            return f"(isinstance(({t} := {left}), list) and {node.right!r} in {t})"
        if node.op == "equals" and node.right is not None:
            return f"({left} == {node.right!r})"  # a missing value (None) equals no constant anyway
        return f"(({t} := {left}) is not None and {t} {_OPS[node.op]} {node.right!r})"

    def cond(self, node: ir.Node, item: str = "None") -> str:
        if isinstance(node, ir.Test):
            return self.test(node, item)
        if isinstance(node, ir.AllOf):
            return "(" + " and ".join(self.cond(n, item) for n in node.items) + ")"
        if isinstance(node, ir.AnyOf):
            return "(" + " or ".join(self.cond(n, item) for n in node.items) + ")"
        if isinstance(node, ir.Not):
            return f"(not {self.cond(node.item, item)})"
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover


def _mirrored(node: ir.Related) -> bool:
    """Every link of ``on`` ties a field of the subject's collection to that same field of the
    subject (scalars on both sides, the compiler makes sure): the subject links to itself."""
    return all(ours.root == "subject" and ours.path == theirs for theirs, ours in node.on)


def needed(node: ir.Node) -> frozenset[str]:
    """Top-level fields an item must have (present, not null) for ``node`` to hold of it.

    Every operator but ``exists: false`` is false on a missing value (docs/policy-language.md),
    and so are the derived values built from one (a ratio, days since, a match); ``all`` needs
    what any of its parts needs, ``any`` what all of its parts need, ``not`` nothing."""
    if isinstance(node, ir.Test):
        if (node.op == "exists" and not node.right) or (node.op == "one_of" and None in node.right):
            return frozenset()
        fields = [node.left.numerator, node.left.denominator] if isinstance(node.left, ir.Ratio) else [node.left]
        if isinstance(node.left, (ir.DaysSince, ir.Matches, ir.Folded)):
            fields = [node.left.field]
        if isinstance(node.left, ir.DaysBetween):
            fields = [node.left.field, node.left.start]
        if isinstance(node.left, ir.SameFolded):
            fields = [node.left.left, node.left.right]
        if isinstance(node.right, ir.Field):
            fields.append(node.right)
        return frozenset(f.path[0] for f in fields if isinstance(f, ir.Field) and f.root == "item" and f.path)
    if isinstance(node, ir.AllOf):
        return frozenset().union(*map(needed, node.items))
    if isinstance(node, ir.AnyOf):
        return frozenset.intersection(*map(needed, node.items)) if node.items else frozenset()
    return frozenset()


def _at_least(count: int, found: Iterator[Any]) -> bool:
    """Whether ``found`` yields at least ``count`` items (stops at the ``count``-th)."""
    return next(islice(found, count - 1, None), None) is not None


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def generate(gen: _Gen, rules: list[ir.CompiledRule]) -> str:
    """Source of ``check(items, F, S)`` for the rules of one scope (``gen`` collects constants and indexes).

    A subject field that the rules read more than once is read once per subject, into a local."""
    counting = _Gen()
    counting.indexed = gen.indexed = True
    _rule_lines(counting, rules)
    gen.hoisted = {name: f"_s{n}" for n, name in enumerate(n for n, times in counting.reads.items() if times > 1)}
    lines = ["def check(items, F, S):"]
    for number in range(len(rules)):  # bound once: the loop below appends millions of times
        lines.append(f"    _fail{number}, _select{number} = F[{number}].append, S[{number}].append")
    lines.append("    for i, s in enumerate(items):")
    if gen.hoisted:
        lines.append("        _sget = s.get")
        lines.extend(f"        {local} = _sget({name!r})" for name, local in gen.hoisted.items())
    lines.extend(_rule_lines(gen, rules))
    if not rules:
        lines.append("        pass")
    return "\n".join(lines) + "\n"


def _rule_lines(gen: _Gen, rules: list[ir.CompiledRule]) -> list[str]:
    lines = []
    for number, rule in enumerate(rules):
        require = gen.cond(rule.require)
        if rule.when is None:
            lines.append(f"        if not {require}: _fail{number}(i)")
        else:
            lines.append(f"        if {gen.cond(rule.when)}:")
            lines.append(f"            _select{number}(i)")
            lines.append(f"            if not {require}: _fail{number}(i)")
    return lines


class _Days(dict[Any, Any]):
    """date string -> days since as_of (``until``: days until it), computed on first sight
    (C-speed lookups after)."""

    def __init__(self, scope: Scope, until: bool = False) -> None:
        super().__init__()
        self.days = scope.days_until if until else scope.days_since

    def __missing__(self, value: Any) -> int | None:
        days = self[value] = self.days(value)
        return days


class _Matched(dict[str, bool]):
    """text -> whether one pattern occurs in it, matched by RE2 on first sight (C-speed lookups
    after). A check asks once per subject and pattern (0.7 million times at 100,000 accounts
    for the baseline's credential rule, one pattern over seven fields) and texts repeat
    (owners, purposes): each distinct text reaches RE2 once. One per check, so it holds no
    more texts than the inventory does and goes with the check."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.pattern = compile_pattern(source)

    def __missing__(self, text: str) -> bool:
        found = self[text] = self.pattern.matches(text)
        return found

    def learn(self, texts: list[str]) -> None:
        """Match the texts not yet known, all at once (``Pattern.which``: a few RE2 scans)."""
        new = [text for text in texts if text not in self]
        self.update(zip(new, self.pattern.which(new), strict=True))


class _Folds(dict[str, str]):
    """text -> its fold (``derive.fold``), computed on first sight (C-speed lookups after)."""

    def __missing__(self, value: str) -> str:
        folded = self[value] = fold(value)
        return folded


def _namespace(gen: _Gen, scope: Scope, items: list[Any] | None = None) -> dict[str, Any]:
    counts = [scope.counts(*spec) for spec in gen.counts]
    return {
        "V": columns.matched(gen.columns, items or []),
        "Q": [],  # (columns.quantified fills it in: its element conditions read this namespace)
        "CC": columns.counted(gen.count_columns, gen.counts, counts, items or [], scope),
        "K": gen.constants,
        "T": [scope.index(*spec) for spec in gen.tables],
        "C": counts,
        "M": [_Matched(source) for source in gen.patterns],
        "_get": _get,
        "_at_least": _at_least,
        "_fold": fold,
        "FOLD": _Folds(),
        "ORG": scope.organisation,
        "GOV": scope.governance,
        "DAYS": _Days(scope),
        "UNTIL": _Days(scope, until=True),
        "ALL": scope.inventory.collections,
        "NORM": scope.folded,  # normaliser -> value -> normalised value, computed once per value
    }


@lru_cache(maxsize=1024)
def _generated(rules: tuple[ir.CompiledRule, ...]) -> tuple[CodeType, _Gen]:
    """The compiled code of one scope's rules, generated once per process for the same rules
    (``smgov portfolio`` checks many organisations with them); only its namespace is per check."""
    gen = _Gen()
    source = generate(gen, list(rules))
    return compile(source, "<smgov native rules>", "exec"), gen


def _compile(rules: list[ir.CompiledRule], scope: Scope, items: list[Any]) -> Callable[..., None]:
    """The check function of one scope's rules, over ``items``."""
    code, gen = _generated(tuple(rules))
    namespace = _namespace(gen, scope, items)
    namespace["Q"] = columns.quantified(gen.quantified, items, namespace)
    exec(code, namespace)
    return namespace["check"]


@lru_cache(maxsize=4096)
def _generated_operands(operands: tuple[ir.Operand, ...]) -> tuple[CodeType, _Gen]:
    gen = _Gen()
    values = "".join(f"{gen.value(operand, 'None')}, " for operand in operands)
    return compile(f"def values(s):\n    return ({values})\n", "<smgov native operands>", "exec"), gen


def compile_operands(operands: tuple[ir.Operand, ...], scope: Scope) -> Callable[[Any], tuple[Any, ...]]:
    """``values(subject)``: the operands' values for one subject, as ``derive.value`` gives them
    (the findings step reads a failed subject's evidence through this, at generated-code speed)."""
    code, gen = _generated_operands(operands)
    namespace = _namespace(gen, scope)
    exec(code, namespace)
    return namespace["values"]


def evaluate(
    policies: PolicySet, inventory: Inventory, as_of: dt.date, scope: Scope | None = None
) -> tuple[RuleResult, ...]:
    """Run every rule; one pass per scope over its subjects."""
    scope = scope or Scope(inventory, as_of)  # the pipeline shares one per check (indexes)
    by_scope: dict[str, list[ir.CompiledRule]] = {}
    for rule in policies.rules:
        by_scope.setdefault(rule.scope, []).append(rule)
    results: dict[str, RuleResult] = {}
    for kind, rules in by_scope.items():
        items = [inventory.organisation_subject()] if kind == "organisation" else inventory.items(kind)
        failed: list[list[int]] = [[] for _ in rules]
        selected: list[list[int]] = [[] for _ in rules]
        _compile(rules, scope, items)(items, failed, selected)
        for number, rule in enumerate(rules):
            chosen = None if rule.when is None else tuple(selected[number])
            applied = len(items) if chosen is None else len(chosen)
            results[rule.id] = RuleResult(rule.id, applied, tuple(failed[number]), chosen)
    return tuple(results[rule.id] for rule in policies.rules)
