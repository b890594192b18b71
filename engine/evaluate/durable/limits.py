"""Limits of durable-rules 2.0.28 and the fixed names the generated rulesets and facts use."""

from __future__ import annotations

# -- limits of durable-rules 2.0.28 (src/rules/*.h), with margins ----------------------------

#: Rules per ruleset, not counting the trigger rule (the notes: <= 32 in all).
MAX_RULES = 31
#: ``$and``/``$or`` groups per durable rule: the beta expression sequence holds 32 entries,
#: two per group, and fails on reaching 32 (measured: 15 works, 16 is error 113).
MAX_GROUPS = 15
#: handleAlpha's stack holds 64 alpha nodes (error 303 beyond). Every durable rule starts with
#: a test of its own, so no path crosses rules: the stack holds at most 1 (the root's other
#: child) + (rules - 1) (the type node's other children) + one rule's own need (``_cost``).
#: Keep rules + need <= 60.
STACK_BUDGET = 60
#: Properties per fact (MAX_OBJECT_PROPERTIES 255; reaching it is error 302).
MAX_PROPERTIES = 250
#: Integers beyond this lose precision where durable compares them with a double.
MAX_EXACT_INT = 2**53
#: Pieces one rule may be split into before the evaluator gives up.
MAX_PIECES = 64
#: Rulesets kept alive between calls (each costs C memory that is only freed on delete).
MAX_CACHED_RULESETS = 256

# -- names in the generated rulesets and facts ------------------------------------------------

_TRIGGER_ID = "$evaluate"
_TRIGGER_RULE = "trigger"
_SUBJECT = "subject"
_EVALUATE = "evaluate"
_SENTINEL = '"z"'
_TRUE, _FALSE = "bt", "bf"
#: Names durable recognises by their hash inside a ruleset or a fact.
_RESERVED_NAMES = (
    "$lt", "$lte", "$gt", "$gte", "$eq", "$neq", "$mt", "$imt", "$iall", "$iany", "$ex", "$nex",
    "$or", "$and", "$m", "name", "$add", "$sub", "$mul", "$div", "$l", "$r", "$forward", "$i",
    "$s", "all", "any", "pri", "count", "cap", "dist", "id", "sid",
)  # fmt: skip
