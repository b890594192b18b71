"""Values in conditions: typed literals, comparison blocks, folded texts, and the error a
condition that cannot compile raises (``engine.policy.conditions`` compiles the conditions).

A literal must be of its field's type (values are never coerced) and finite; a comparison
block (``{gte: 1, lte: 5}``) becomes tests on an operand; ``fold: true`` compares texts by the
NFKC form of their Unicode case fold, as ``engine.evaluate.derive.fold`` computes it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from engine.inputs.catalogue import Field as Spec
from engine.policy import ir

PathT = tuple[str | int, ...]


class CompileError(Exception):
    """A problem in one condition; ``where`` is the path inside the rule (``require.all[1]``)."""

    def __init__(self, message: str, where: PathT) -> None:
        super().__init__(message)
        self.message, self.where = message, where


def _hint(word: str, choices: list[str]) -> str:
    match = get_close_matches(word, choices, n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def _python_type(kind: str) -> tuple[type, ...]:
    return {"string": (str,), "date": (str,), "integer": (int, float), "number": (int, float), "boolean": (bool,)}.get(
        kind, ()
    )


def _check_literal(value: Any, kind: str, enum: tuple[Any, ...], label: str, where: PathT) -> Any:
    expected = _python_type(kind)
    if not expected:
        raise CompileError(f"{label} is of type {kind}: it cannot be compared with a value", where)
    if isinstance(value, bool) != (kind == "boolean") or not isinstance(value, expected):
        raise CompileError(
            f"{label} is a {kind}; {value!r} is a {type(value).__name__} (values are never coerced)", where
        )
    _finite(value, where)
    if enum and value not in enum:
        raise CompileError(f"{value!r} can never match {label}: allowed values are {', '.join(map(str, enum))}", where)
    return value


def _finite(value: Any, where: PathT) -> None:
    """NaN and the infinities compare in ways no inventory value can mean (NaN equals nothing,
    not even itself): a policy may not hold them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CompileError(f"{value!r} is not a finite number: compare with a finite value", where)


def _number(value: Any, where: PathT) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CompileError(f"expected a number, got {value!r}", where)
    _finite(value, where)
    return value


def comparisons(
    block: Any, left: ir.Operand, where: PathT, extra: tuple[str, ...] = ()
) -> tuple[ir.Node, dict[str, Any]]:
    """A comparison block ``{gte: 1, lte: 5}`` -> the Tests on ``left``, plus its other keys."""
    if not isinstance(block, Mapping):
        raise CompileError("expected a comparison block such as {gte: 1}", where)
    unknown = [k for k in block if k not in ir.COMPARISONS and k not in extra]
    if unknown:
        raise CompileError(
            f"unknown key {unknown[0]!r} in a comparison block{_hint(str(unknown[0]), [*ir.COMPARISONS, *extra])}",
            where,
        )
    tests: list[ir.Node] = []
    for op in ir.COMPARISONS:
        if op in block:
            tests.append(ir.Test(left, op, _number(block[op], (*where, op))))
    if not tests:
        raise CompileError(f"a comparison block needs one of {', '.join(ir.COMPARISONS)}", where)
    node = tests[0] if len(tests) == 1 else ir.AllOf(tuple(tests))
    return node, {k: block[k] for k in extra if k in block}


def _fold_option(value: Any, key: str, where: PathT) -> tuple[Any, bool]:
    """``{KEY: X, fold: true}`` (or ``{ref: PATH, fold: true}``) -> (X or {ref: PATH}, fold);
    any other value -> (value, False). ``fold`` compares texts case- and form-insensitively."""
    if not isinstance(value, Mapping) or ("fold" not in value and key not in value):
        return value, False
    unknown = [k for k in value if k not in (key, "ref", "fold")]
    if unknown or (key in value) == ("ref" in value):
        raise CompileError(f"expected {{{key}: VALUE, fold: true}} or {{ref: PATH, fold: true}}", where)
    fold = value.get("fold", False)
    if not isinstance(fold, bool):
        raise CompileError("fold takes true or false", (*where, "fold"))
    return (value[key] if key in value else {"ref": value["ref"]}), fold


def _text_only(spec: Spec, kind: str, op: str, where: PathT) -> None:
    if kind != "string":
        raise CompileError(f"fold compares texts; {spec.path!r} is of type {spec.type} ({op})", where)


def _fold_enum(enum: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(derive_fold(v) for v in enum)


def derive_fold(value: Any) -> Any:
    """The folding of ``engine.evaluate.derive.fold`` (the same formula; kept here because the
    policy layer may not import the evaluators): NFKC of the case fold of the NFKC form."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return value
