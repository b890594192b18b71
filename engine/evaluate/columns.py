"""What a scope's generated check function (``engine.evaluate.native``) knows before its pass:
per-subject answers found for all the subjects at once, each a list read as ``X[n][i]``.

A pass evaluates every rule on one subject after another in Python; some answers cost less
found for every subject together: whether a pattern occurs in a text (one RE2 scan of all
the texts, ``Pattern.which``), a subject's count in a table of counts (one ``map`` over all
the keys), and ``any_item``/``all_items`` over a subject's own list when the condition reads
only the element (once per distinct element, then ``any``/``all`` over looked-up answers).
Each is the very value the generated expression would compute per subject: the reference
interpreter (``engine.evaluate.derive``) and durable-rules agree with it
(tests/test_pattern_batch.py, tests/test_native_codegen.py).

Imports ``engine.evaluate.derive`` and ``engine.policy``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import chain, repeat
from types import CodeType
from typing import Any

from engine.evaluate.derive import Scope
from engine.policy import ir
from engine.policy.patterns import compile_pattern


def matched(columns: list[tuple[str, str]], items: list[Any]) -> list[list[bool]]:
    """Per (pattern, field), whether the pattern occurs in each item's text at the field (False
    where there is no text: the check reads it only where there is). Matched before the pass,
    all the texts of a pattern's fields in one RE2 scan (``Pattern.which``): at 100,000
    accounts the baseline's credential rule asks about 700,000 texts (seven fields), 0.5 s one
    RE2 call at a time. The fields are read in one pass over the items (cache-friendly)."""
    out: dict[tuple[str, str], list[bool]] = {}
    for source in dict.fromkeys(source for source, _ in columns):
        names = tuple(name for other, name in columns if other == source)
        texts = [value if isinstance(value, str) else "" for value in chain.from_iterable(map(_reader(names), items))]
        answers = compile_pattern(source).which(texts)
        for number, name in enumerate(names):
            out[(source, name)] = answers[number :: len(names)]
    return [out[column] for column in columns]


@lru_cache(maxsize=256)
def _reader(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """``read(record)``: the record's values at ``names``, as a tuple (compiled once per process)."""
    return eval(f"lambda s: ({''.join(f's.get({name!r}), ' for name in names)})")  # type: ignore[no-any-return]  # (names are repr'd)


def counted(
    specs: list[tuple[int, tuple[str, ...], tuple[str, ...]]],
    tables: list[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]],
    counts: list[dict[tuple[Any, ...], int]],
    items: list[Any],
    scope: Scope,
) -> list[list[int]]:
    """Per (counted table, the subject's own fields, their normalisation), each item's count:
    ``C[n].get((NORM[how][s.get(field)], ...), 0)`` for every subject, looked up in C before
    the pass rather than one expression per subject in it (at 100,000 accounts the duplicate
    and trained-owner rules: 0.25 s in the pass, 0.1 s this way). Subjects counted in their
    own collection (duplicates) reuse the keys the count was made of."""
    out = []
    for table, names, folds in specs:
        collection, paths, _ = tables[table]
        keys = scope.keys_of(collection, paths, folds) if paths == tuple((name,) for name in names) else None
        if keys is None or items is not scope.inventory.collections.get(collection):
            columns = []
            for name, how in zip(names, folds or ("",) * len(names), strict=True):
                values = map(dict.get, items, repeat(name))
                columns.append(list(map(scope.folded[how].__getitem__, values)) if how else list(values))
            keys = list(zip(*columns, strict=True))
        out.append(list(map(counts[table].get, keys, repeat(0))))
    return out


def quantified(
    specs: list[tuple[str, str, str, tuple[int, ...]]], items: list[Any], namespace: dict[str, Any]
) -> list[list[Any]]:
    """Per (any | all, list field, condition on one element, the ``M`` memos it reads), each
    item's answer: None when the field holds no list, else whether any (all) of its elements
    meet the condition. Elements repeat (the same admins on many accounts), so the condition
    runs once per distinct element, its patterns matched for all of them in one RE2 scan, and
    each item's answer is ``any``/``all`` over looked-up answers, at C speed. Elements that
    cannot be looked up (records) are asked one by one, as the pass would."""
    out = []
    for quantifier, name, condition, memos in specs:
        holds = _condition(condition, namespace)
        lists = list(map(dict.get, items, repeat(name)))
        every = [value for value in lists if isinstance(value, list)]
        which = any if quantifier == "any" else all
        try:
            distinct = list(dict.fromkeys(chain.from_iterable(every)))
        except TypeError:  # an unhashable element
            out.append([which(map(holds, value)) if isinstance(value, list) else None for value in lists])
            continue
        texts = [element for element in distinct if isinstance(element, str)]
        for memo in memos:
            namespace["M"][memo].learn(texts)
        answer = dict(zip(distinct, map(holds, distinct), strict=True)).__getitem__
        out.append([which(map(answer, value)) if isinstance(value, list) else None for value in lists])
    return out


@lru_cache(maxsize=256)
def _compiled(condition: str) -> CodeType:
    return compile(f"lambda _e: {condition}", "<smgov native element condition>", "eval")


def _condition(condition: str, namespace: dict[str, Any]) -> Callable[[Any], Any]:
    """The generated condition on one element ``_e``, as a function in the check's namespace."""
    return eval(_compiled(condition), namespace)  # type: ignore[no-any-return]  # (generated code)


def of_the_element(node: ir.Node) -> bool:
    """Whether ``node`` reads nothing but the list element it is asked about (the element
    itself, directly, as a match, a fold or days since it), so that its answer depends on the
    element alone."""
    if isinstance(node, ir.Test):
        operands = [node.left, *([node.right] if isinstance(node.right, ir.Field) else [])]
        return all(map(_the_element, operands))
    if isinstance(node, (ir.AllOf, ir.AnyOf)):
        return all(map(of_the_element, node.items))
    if isinstance(node, ir.Not):
        return of_the_element(node.item)
    return False


def _the_element(operand: ir.Operand) -> bool:
    if isinstance(operand, (ir.Matches, ir.Folded, ir.DaysSince)):
        return _the_element(operand.field)
    return isinstance(operand, ir.Field) and operand.root == "item" and not operand.path
