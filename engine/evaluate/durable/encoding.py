"""How values are written for durable's C reader, and the slots (fact properties) that carry them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.evaluate.durable.limits import _FALSE, _SENTINEL, _TRUE, MAX_EXACT_INT
from engine.evaluate.evaluation import EvaluatorRefused
from engine.policy import ir

# -- literals and values ----------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _number_text(value: int | float, what: Callable[[], str]) -> str:
    """A number as durable's JSON reader takes it exactly (it reads ``1e-05`` as ``1``)."""
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise EvaluatorRefused(
                f"{what()}: the integer {value} is beyond 2**53, where "
                "durable-rules compares through a double and would round"
            )
        return str(value)
    if not math.isfinite(value):
        raise EvaluatorRefused(f"{what()}: {value!r} cannot be passed to durable-rules (JSON)")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{exponent}"
    elif "." not in text:  # pragma: no cover - repr of a finite float always has one of them
        text += ".0"
    return text


def _scalar_text(value: Any, what: Callable[[], str]) -> str:
    """The JSON text of a scalar, typed so durable cannot coerce it across types."""
    if isinstance(value, bool):
        return f'"{_TRUE if value else _FALSE}"'
    if isinstance(value, (int, float)):
        return _number_text(value, what)
    if isinstance(value, str):
        return '"s' + value.encode("utf-8", "surrogatepass").hex() + '"'
    raise EvaluatorRefused(f"{what()}: a {_kind(value)} cannot be compared by durable-rules")


# -- slots: what each fact carries --------------------------------------------------------------

#: How a slot writes a missing value. ``None``: the property is omitted, so every test but
#: ``$nex`` is false. The others make one complement test true on a missing value without an
#: ``$or`` with ``$nex`` (durable allows only 15 all/any groups per rule): "m" for ``$neq``
#: (a string no encoded value or literal equals), LOW/HIGH for orderings, ``["z"]`` for
#: ``$iall``.
_MISSING_TEXT = {
    "m": '"m"',
    "low": "-1.7976931348623157e+308",
    "high": "1.7976931348623157e+308",
    "z": f"[{_SENTINEL}]",
}
_LIMIT = 1.7976931348623157e308
#: The complement of each ordering, and the sentinel that makes it true on a missing value.
_COMPLEMENT = {"gt": ("lte", "low"), "gte": ("lt", "low"), "lt": ("gte", "high"), "lte": ("gt", "high")}
_DURABLE_OP = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


@dataclass
class _Slot:
    """One property of the facts of a scope and how to fill it."""

    number: int
    kind: str  # present | scalar | list | eqref | inref | diff
    left: ir.Operand
    right: ir.Operand | None = None
    missing: str | None = None  # see _MISSING_TEXT
    #: (rule id, the value kinds one of its tests compares with; empty: any)
    users: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"v{self.number}"

    def label(self) -> str:
        text = self.left.label()
        if self.right is not None:
            text += f" vs {self.right.label()}"
        return text


# -- values of the slots --------------------------------------------------------------------


def _refuse_kind(slot: _Slot, found: str, index: int, scope: str) -> EvaluatorRefused:
    rules = ", ".join(dict.fromkeys(rule for rule, _ in slot.users))
    return EvaluatorRefused(
        f"rule {rules}: {slot.label()} of {scope} #{index} is a {found}, which its tests do not "
        "compare with; durable-rules would coerce it, so the durable evaluator refuses"
    )


def _fill(slot: _Slot, lefts: Sequence[Any], rights: Sequence[Any] | None, scope: str) -> list[str | None]:
    """The JSON text of ``slot`` for each subject (``None``: omit the property), from the
    values of its operands (``engine.evaluate.derive.value``)."""
    # every test on the slot must accept the value's kind (a rule comparing with a string
    # and another ordering it as a number both constrain it)
    accepted = {"boolean", "number", "string"}
    for _, kinds in slot.users:
        if kinds:
            accepted &= kinds

    def allowed(kind: str) -> bool:
        return kind in accepted

    def where() -> str:
        return f"rule {slot.users[0][0]}: {slot.label()} of {scope}"

    absent = None if slot.missing is None else _MISSING_TEXT[slot.missing]
    if slot.kind == "present":
        return [None if value is None else "1" for value in lefts]
    if slot.kind == "scalar":
        # values repeat (status, platform…): encode each distinct one once; the type is part
        # of the key because True == 1 == 1.0 in Python
        texts: dict[tuple[type, Any], str] = {}
        out: list[str | None] = []
        for index, value in enumerate(lefts):
            if value is None:
                out.append(absent)
                continue
            key = (type(value), value) if isinstance(value, (str, int, float)) else None
            text = texts.get(key) if key is not None else None
            if text is None:
                found = _kind(value)
                if not allowed(found):
                    raise _refuse_kind(slot, found, index, scope)
                text = _scalar_text(value, where)
                if key is not None:
                    texts[key] = text
            out.append(text)
        return out
    out = []
    for index, value in enumerate(lefts):
        other = rights[index] if rights is not None else 0
        if value is None or other is None:
            out.append(absent)
        elif slot.kind == "list":
            if not isinstance(value, list):
                raise _refuse_kind(slot, _kind(value), index, scope)
            texts = []
            for item in value:
                if item is None or not allowed(_kind(item)):
                    raise _refuse_kind(slot, f"list holding a {_kind(item)}", index, scope)
                texts.append(_scalar_text(item, where))
            texts.append(_SENTINEL)
            out.append("[" + ",".join(texts) + "]")
        elif slot.kind == "diff":
            if _kind(value) != "number" or _kind(other) != "number":
                raise _refuse_kind(slot, f"{_kind(value)}/{_kind(other)}", index, scope)
            _number_text(value, where)  # the range checks
            _number_text(other, where)
            delta = value - other  # exact in sign: a - b == 0 only when a == b (IEEE 754)
            if isinstance(delta, float) and math.isinf(delta):
                delta = math.copysign(1e308, delta)  # only the sign is compared (with 0)
            elif isinstance(delta, int) and abs(delta) > MAX_EXACT_INT:
                delta = MAX_EXACT_INT if delta > 0 else -MAX_EXACT_INT
            out.append(_number_text(delta, where))
        elif slot.kind == "eqref":
            if _kind(value) != _kind(other) or not allowed(_kind(value)):
                raise _refuse_kind(slot, f"{_kind(value)}/{_kind(other)}", index, scope)
            out.append(f'"{_TRUE}"' if value == other else f'"{_FALSE}"')
        else:  # inref: right in left
            if not isinstance(value, list) or not allowed(_kind(other)):
                raise _refuse_kind(slot, f"{_kind(value)}/{_kind(other)}", index, scope)
            if any(_kind(item) != _kind(other) for item in value):
                raise _refuse_kind(slot, f"list holding other than {_kind(other)}s", index, scope)
            out.append(f'"{_TRUE}"' if other in value else f'"{_FALSE}"')
    return out
