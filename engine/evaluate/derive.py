"""Reference semantics of the IR, by interpretation, and the derived values both evaluators use.

``Scope`` holds what one check needs beyond a subject (the assessment date, the organisation,
indexes for ``related``). It belongs to one check: two checks never share one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from itertools import product, repeat
from typing import Any

from engine.inputs.inventory import Inventory
from engine.policy import ir
from engine.policy.patterns import compile_pattern

Env = tuple[Any, Any]  # (subject, current item)
# collection, key paths, fields needed, how each key is normalised
IndexKey = tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...], tuple[str, ...]]

_URL_PREFIX = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.|m\.|mobile\.)?")


def _casefold(value: Any) -> Any:
    return fold(value.strip()) or None if isinstance(value, str) else value  # as the ``fold`` option compares


def _handle(value: Any) -> Any:
    return fold(value.strip().lstrip("@").strip()) or None if isinstance(value, str) else value


def _url(value: Any) -> Any:
    """``https://www.X.com/Agency/?a=1#top`` -> ``x.com/agency``: scheme, ``www.``/``m.``, query,
    fragment and trailing slashes left out, case folded."""
    if not isinstance(value, str):
        return value
    text = value.strip().casefold().split("?", 1)[0].split("#", 1)[0]
    return _URL_PREFIX.sub("", text).rstrip("/") or None


#: ``related``'s ``normalise`` (``engine.policy.ir.NORMALISERS``): what both sides of a link are
#: compared as. Text that normalises to nothing links to nothing (as a missing value).
NORMALISE = {"casefold": _casefold, "handle": _handle, "url": _url}


def normalised(value: Any, how: str) -> Any:
    return NORMALISE[how](value) if how else value


class Folded(dict[Any, Any]):
    """value -> its normalised form (``NORMALISE[how]``), each distinct value computed once
    (a subject's own key is then a lookup: its collection's column was folded already)."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.fold = NORMALISE[how]

    def __missing__(self, value: Any) -> Any:
        folded = self[value] = self.fold(value)
        return folded


class Scope:
    """Per-check state: the assessment date, the organisation and lazily built indexes."""

    def __init__(self, inventory: Inventory, as_of: dt.date) -> None:
        self.inventory = inventory
        self.as_of = as_of
        self.organisation = inventory.organisation
        self.governance = inventory.governance
        self._dates: dict[str, int] = {}
        self._indexes: dict[IndexKey, dict[tuple[Any, ...], list[Any]]] = {}
        self._counts: dict[tuple[str, tuple[tuple[str, ...], ...]], dict[tuple[Any, ...], int]] = {}
        #: normaliser name -> its per-check cache (``related``'s ``normalise``)
        self.folded = {how: Folded(how) for how in NORMALISE}
        #: the normalised keys of each item that :meth:`counts` counted (see :meth:`keys_of`)
        self._keys: dict[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]], list[tuple[Any, ...]]] = {}

    def days_since(self, value: Any) -> int | None:
        if not isinstance(value, str):
            return None
        days = self._dates.get(value)
        if days is None:
            days = (self.as_of - dt.date.fromisoformat(value)).days
            self._dates[value] = days
        return days

    def days_until(self, value: Any) -> int | None:
        days = self.days_since(value)
        return None if days is None else -days

    def pattern(self, source: str) -> Any:
        """The one compiled matcher of ``source`` every evaluator uses (RE2: linear time)."""
        return compile_pattern(source)

    def index(
        self,
        collection: str,
        paths: tuple[tuple[str, ...], ...],
        needs: tuple[str, ...] = (),
        folds: tuple[str, ...] = (),
    ) -> dict[tuple[Any, ...], list[Any]]:
        """Items of ``collection`` keyed by their values at ``paths`` (list values fan out),
        only those whose top-level fields ``needs`` are all present and not null; ``folds``:
        how each key value is normalised (``NORMALISE``; none when empty)."""
        key = (collection, paths, needs, folds)
        table = self._indexes.get(key)
        if table is None and folds:
            table = self._folded(collection, paths, needs, folds)
            self._indexes[key] = table
        if table is None:
            table = {}
            items = self.inventory.collections.get(collection, [])
            every = len(items)
            if needs and not _leaves_out_many(items, needs):  # the index without needs serves as well
                self._indexes[key] = table = self.index(collection, paths)
                return table
            for name in needs:  # each pass keeps fewer
                items = [item for item in items if item.get(name) is not None]
            if needs and len(items) == every:  # nothing left out: the same index as without needs
                self._indexes[key] = table = self.index(collection, paths)
                return table
            if not paths:
                self._indexes[key] = table = {(): items}
                return table
            if len(paths) == 1 and len(paths[0]) == 1:  # the common case: one top-level field
                column = list(map(dict.get, items, repeat(paths[0][0])))
                if list not in set(map(type, column)):  # scalars: grouped by value, keyed as 1-tuples after
                    groups: defaultdict[Any, list[Any]] = defaultdict(list)
                    for value, item in zip(column, items, strict=True):
                        groups[value].append(item)
                    groups.pop(None, None)
                    table = {(value,): group for value, group in groups.items()}
                    self._indexes[key] = table
                    return table
                for value, item in zip(column, items, strict=True):
                    if value is None:
                        continue
                    for one in dict.fromkeys(value) if isinstance(value, list) else (value,):
                        found = table.get((one,))
                        if found is None:
                            table[(one,)] = [item]
                        else:
                            found.append(item)
                self._indexes[key] = table
                return table
            for item in items:
                options = []
                for path in paths:
                    value = get(item, path)
                    options.append(value if isinstance(value, list) else ([] if value is None else [value]))
                for combo in dict.fromkeys(product(*options)):
                    table.setdefault(combo, []).append(item)
            self._indexes[key] = table
        return table

    def _folded(
        self, collection: str, paths: tuple[tuple[str, ...], ...], needs: tuple[str, ...], folds: tuple[str, ...]
    ) -> dict[tuple[Any, ...], list[Any]]:
        """:meth:`index` with each key value normalised first. Read column by column, each
        column normalised in one ``map``; rows with a list value fan out as in :meth:`index`."""
        items = self.inventory.collections.get(collection, [])
        for name in needs:
            items = [item for item in items if item.get(name) is not None]
        columns = _folded_columns(items, paths, folds, self.folded)
        if not any(list in set(map(type, column)) for column in columns):  # scalars: grouped in one pass
            groups: defaultdict[tuple[Any, ...], list[Any]] = defaultdict(list)
            for key, item in zip(zip(*columns, strict=True), items, strict=True):
                if None not in key:
                    groups[key].append(item)
            return dict(groups)
        table: dict[tuple[Any, ...], list[Any]] = {}
        for item, combo in zip(items, zip(*columns, strict=True), strict=True):
            options = []
            for value, how in zip(combo, folds, strict=True):
                values = [normalised(v, how) for v in value] if isinstance(value, list) else [value]
                options.append([v for v in values if v is not None])
            for key in dict.fromkeys(product(*options)):
                table.setdefault(key, []).append(item)
        return table

    def counts(
        self, collection: str, paths: tuple[tuple[str, ...], ...], folds: tuple[str, ...] = ()
    ) -> dict[tuple[Any, ...], int]:
        """How many items :meth:`index` would list under each key."""
        key = (collection, paths, folds)
        table = self._counts.get(key)
        if table is None and folds:
            columns = _folded_columns(self.inventory.collections.get(collection, []), paths, folds, self.folded)
            if any(list in set(map(type, column)) for column in columns):
                table = {value: len(items) for value, items in self.index(collection, paths, (), folds).items()}
            else:  # scalars: counted in C, no list per key
                self._keys[key] = keys = list(zip(*columns, strict=True))
                counted = Counter(keys)
                table = {value: n for value, n in counted.items() if None not in value}
            self._counts[key] = table
        if table is None:
            listed = self._indexes.get((collection, paths, (), ()))
            column: list[Any] = []
            if listed is None and len(paths) == 1 and len(paths[0]) == 1:
                column = list(map(dict.get, self.inventory.collections.get(collection, []), repeat(paths[0][0])))
            if listed is None and column and list not in set(map(type, column)):
                counted = Counter(column)  # scalars: counted in C, then keyed as 1-tuples like the index
                counted.pop(None, None)
                table = {(value,): n for value, n in counted.items()}
            else:
                table = {value: len(items) for value, items in self.index(collection, paths).items()}
            self._counts[key] = table
        return table

    def keys_of(
        self, collection: str, paths: tuple[tuple[str, ...], ...], folds: tuple[str, ...]
    ) -> list[tuple[Any, ...]] | None:
        """Each item's normalised key, in the collection's order, as :meth:`counts` read them
        (None when it did not: no normalisation, or list values)."""
        return self._keys.get((collection, paths, folds))

    def related_items(self, node: ir.Related, env: Env) -> list[Any]:
        if not node.on:
            items = self.inventory.collections.get(node.collection, [])
        else:
            folds = node.normalise or ("",) * len(node.on)
            ours = tuple(
                normalised(read(field, env, self), how) for (_, field), how in zip(node.on, folds, strict=True)
            )
            if any(v is None for v in ours):
                return []
            items = self.index(node.collection, tuple(p for p, _ in node.on), (), node.normalise).get(ours, [])
        return [item for item in items if item is not env[0]] if node.others else items


def _leaves_out_many(items: list[Any], needs: tuple[str, ...]) -> bool:
    """Whether leaving out the items that lack a field of ``needs`` leaves out at least half of
    them, judged on up to 256 items spread evenly over the collection.

    An index keyed with ``needs`` lists only the items a ``where`` can hold of (the others count
    for nothing anyway): the rule's loops then skip them, at the price of a pass over the whole
    collection per field. That pays when many go (of 500,000 training records, the 94 with a
    head count); when most stay (a completion date, a mandatory flag) the loops would read
    the same fields again, and the index without needs, shared by every rule, serves as well:
    the results are the same either way."""
    if len(items) < 1024:  # small: leaving them out costs nothing worth judging
        return True
    step = len(items) // 256
    sample = items[::step][:256]
    kept = sum(1 for item in sample if all(item.get(name) is not None for name in needs))
    return kept * 2 <= len(sample)


def _folded_columns(
    items: list[Any], paths: tuple[tuple[str, ...], ...], folds: tuple[str, ...], cache: dict[str, Folded]
) -> list[list[Any]]:
    """The values of ``items`` at each path, normalised as ``folds`` says (list values as they are)."""
    columns = []
    for path, how in zip(paths, folds, strict=True):
        raw = list(map(dict.get, items, repeat(path[0]))) if len(path) == 1 else [get(i, path) for i in items]
        if how and list not in set(map(type, raw)):
            raw = list(map(cache[how].__getitem__, raw))  # each distinct value folded once, looked up in C
        elif how:
            raw = [v if isinstance(v, list) else cache[how][v] for v in raw]
        columns.append(raw)
    return columns


def fold(value: Any) -> Any:
    """Case- and form-insensitive key of a text: NFKC of the Unicode case fold of its NFKC form
    ('Straße', 'STRASSE' and 'ｓｔｒａｓｓｅ' fold alike); each text of a list; other values as they are."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    if isinstance(value, list):
        return [fold(item) for item in value]
    return value


def days_between(later: Any, earlier: Any) -> int | None:
    """``later - earlier`` in days, both ISO dates; ``None`` when either is not a date string."""
    if not isinstance(later, str) or not isinstance(earlier, str):
        return None
    return (dt.date.fromisoformat(later) - dt.date.fromisoformat(earlier)).days


def same_folded(left: Any, right: Any) -> bool | None:
    if not isinstance(left, str) or not isinstance(right, str):
        return None
    return bool(fold(left) == fold(right))


def get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):  # parsed YAML/JSON records are plain dicts
            return None
        data = data.get(part)
    return data


def read(field: ir.Field, env: Env, scope: Scope) -> Any:
    root = field.root
    if root == "subject":
        base = env[0]
    elif root == "item":
        base = env[1]
    elif root == "organisation":
        base = scope.organisation
    else:
        base = scope.governance
    return get(base, field.path)


def value(operand: ir.Operand, env: Env, scope: Scope) -> Any:
    """The value of a field or derived operand; ``None`` means missing or undefined."""
    if isinstance(operand, ir.Field):
        return read(operand, env, scope)
    if isinstance(operand, ir.Count):
        items = read(operand.list, env, scope)
        if not isinstance(items, list):
            return 0
        if operand.where is None:
            return len(items)
        return sum(1 for item in items if holds(operand.where, (env[0], item), scope))
    if isinstance(operand, ir.Share):
        items = read(operand.list, env, scope)
        if not isinstance(items, list) or not items:
            return None
        return sum(1 for item in items if holds(operand.where, (env[0], item), scope)) / len(items)
    if isinstance(operand, ir.Ratio):
        top, bottom = read(operand.numerator, env, scope), read(operand.denominator, env, scope)
        if top is None or not bottom:
            return None
        return top / bottom
    if isinstance(operand, ir.DaysSince):
        date = read(operand.field, env, scope)
        return scope.days_until(date) if operand.until else scope.days_since(date)
    if isinstance(operand, ir.Matches):
        text = read(operand.field, env, scope)
        return None if not isinstance(text, str) else scope.pattern(operand.pattern).matches(text)
    if isinstance(operand, ir.Quantified):
        items = read(operand.list, env, scope)
        if not isinstance(items, list):
            return None
        test = (holds(operand.condition, (env[0], item), scope) for item in items)
        return any(test) if operand.quantifier == "any" else all(test)
    if isinstance(operand, ir.DaysBetween):
        start = operand.start if isinstance(operand.start, str) else read(operand.start, env, scope)
        return days_between(read(operand.field, env, scope), start)
    if isinstance(operand, ir.Folded):
        return fold(read(operand.field, env, scope))
    if isinstance(operand, ir.SameFolded):
        return same_folded(read(operand.left, env, scope), read(operand.right, env, scope))
    if isinstance(operand, ir.Related):
        items = scope.related_items(operand, env)
        if operand.where is None:
            return len(items)
        return sum(1 for item in items if holds(operand.where, (env[0], item), scope))
    raise TypeError(f"unknown operand {operand!r}")  # pragma: no cover


def test(node: ir.Test, env: Env, scope: Scope) -> bool:
    left = value(node.left, env, scope)
    if node.op == "exists":
        return (left is not None) is node.right
    if left is None:
        return False
    right = node.right
    if isinstance(right, ir.Field):
        right = read(right, env, scope)
        if right is None:
            return False
    op = node.op
    if op == "equals":
        return bool(left == right)
    if op == "not_equals":
        return bool(left != right)
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    if op == "lte":
        return bool(left <= right)
    if op == "one_of":
        return left in right
    if op == "contains":
        return isinstance(left, list) and right in left
    raise ValueError(f"unknown test operator {op!r}")  # pragma: no cover


def holds(node: ir.Node, env: Env, scope: Scope) -> bool:
    """Whether ``node`` holds for ``env``: the reference semantics of the language."""
    if isinstance(node, ir.Test):
        return test(node, env, scope)
    if isinstance(node, ir.AllOf):
        return all(holds(n, env, scope) for n in node.items)
    if isinstance(node, ir.AnyOf):
        return any(holds(n, env, scope) for n in node.items)
    if isinstance(node, ir.Not):
        return not holds(node.item, env, scope)
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover
