"""What an evaluator returns, and the registry of evaluators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from engine.evaluate.derive import Scope
from engine.inputs.inventory import Inventory
from engine.policy.policies import PolicySet


@dataclass(frozen=True)
class RuleResult:
    """How one rule fared: which subjects it applied to and which of them failed.

    Indices point into ``inventory.items(rule.scope)`` (0 for the organisation), ascending.
    ``selected`` is ``None`` when the rule applied to every subject of its scope.
    """

    rule_id: str
    applied: int
    failed: tuple[int, ...]
    selected: tuple[int, ...] | None = None


class Evaluator(Protocol):
    """``evaluate(policies, inventory, as_of, scope=None)``; ``scope`` (one per check) lets the
    pipeline share the related-item indexes with the findings step."""

    def __call__(
        self, policies: PolicySet, inventory: Inventory, as_of: dt.date, scope: Scope | None = None
    ) -> tuple[RuleResult, ...]: ...


class EvaluatorRefused(Exception):
    """An evaluator cannot run this policy set faithfully; it says why instead of guessing."""


class EvaluatorUnavailable(Exception):
    """An evaluator whose optional extra is not installed; the message says how to install it."""
