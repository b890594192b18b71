"""The date operators of conditions: ``older_than_days``, ``within_days``, ``days_since``,
``days_until`` against the assessment date (``days_after``, which may read another field, is
compiled with the paths in ``engine.policy.conditions``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.inputs.catalogue import Field as Spec
from engine.policy import ir
from engine.policy.literals import CompileError, PathT, comparisons


def _date_only(spec: Spec, op: str, where: PathT) -> None:
    if spec.type != "date":
        raise CompileError(f"{op!r} applies to dates; {spec.path!r} is of type {spec.type}", where)


def op_older_than_days(field: ir.Field, spec: Spec, value: Any, ctx: Any, where: PathT) -> ir.Node:
    _date_only(spec, "older_than_days", where)
    return ir.Test(ir.DaysSince(field), "gt", _days(value, where))


def op_within_days(field: ir.Field, spec: Spec, value: Any, ctx: Any, where: PathT) -> ir.Node:
    _date_only(spec, "within_days", where)
    since = ir.DaysSince(field)
    return ir.AllOf((ir.Test(since, "gte", 0), ir.Test(since, "lte", _days(value, where))))


def _days(value: Any, where: PathT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CompileError(f"expected a whole number of days (0 or more), got {value!r}", where)
    return value


def op_days_since(field: ir.Field, spec: Spec, value: Any, ctx: Any, where: PathT) -> ir.Node:
    _date_only(spec, "days_since", where)
    return comparisons(value, ir.DaysSince(field), where)[0]


def op_days_until(field: ir.Field, spec: Spec, value: Any, ctx: Any, where: PathT) -> ir.Node:
    _date_only(spec, "days_until", where)
    return comparisons(value, ir.DaysSince(field, until=True), where)[0]


def _iso_date(value: Any, where: PathT) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise CompileError(f"expected a calendar date 'YYYY-MM-DD' or {{ref: PATH}}, got {value!r}", where)
