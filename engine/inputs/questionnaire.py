"""The staff questionnaire (``--questionnaire FILE``, ``schemas/questionnaire.schema.json``):
evidence beyond the inventory's self-declaration.

A short Altimeter-style self-assessment, answered per department: for each statement, the
share of respondents who agree. Each answer stands beside the inventory's own view of the
same thing, and where the two differ by ``DISSONANCE`` or more, the difference is flagged
(MIP-2015's dissonance: two pictures of the organisation pulling managers apart). The
answers and the flags are put on the department records (``staff_view``,
``staff_dissonance``) before evaluation, so named rules read them with every operator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.inputs import schemas
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.inventory import Inventory
from engine.inputs.sources import Source

#: A staff answer and the inventory's view further apart than this are flagged.
DISSONANCE = 0.3


@dataclass(frozen=True)
class Questionnaire:
    file: str
    sha256: str
    collected_on: str | None
    answers: Mapping[str, Mapping[str, float]]  # department id -> measure -> share agreeing
    respondents: Mapping[str, int]


@dataclass(frozen=True)
class Comparison:
    """One department's answer to one statement beside the inventory's view."""

    department: str
    measure: str
    staff: float
    inventory: float | None  # None when the inventory records nothing to compare with
    respondents: int
    dissonance: bool


def load(path: str | Path) -> tuple[Questionnaire, Source]:
    """Read and check a questionnaire file. Raises InputError with every problem."""
    source = schemas.read_checked(path, "questionnaire", "a questionnaire")
    answers = {str(d["department"]): dict(d["answers"]) for d in source.data["departments"]}
    respondents = {str(d["department"]): int(d["respondents"]) for d in source.data["departments"]}
    collected = source.data.get("collected_on")
    return Questionnaire(
        source.path, source.sha256, str(collected) if collected else None, answers, respondents
    ), source


def check(questionnaire: Questionnaire, source: Source, inventory: Inventory) -> list[Diagnostic]:
    """A department the inventory does not define, or named twice, is an error at its place."""
    known = {str(d.get("id")) for d in inventory.items("department")}
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, entry in enumerate(source.data["departments"]):
        ident = str(entry["department"])
        line, col = source.positions.locate(("departments", index, "department"))
        if ident not in known:
            message = f"department {ident!r} is not defined in the inventory's departments"
        elif ident in seen:
            message = f"department {ident!r} is answered twice"
        else:
            seen.add(ident)
            continue
        problems.append(Diagnostic(source.path, line, col, message, f"departments[{index}].department"))
    return problems


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


class _View:
    """The inventory's own view of each statement, per department."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.social_meetings = [m for m in inv.items("meeting") if m.get("uses_social_media_information") is True]
        self.quality_departments = {
            str(p.get("department"))
            for p in inv.items("process")
            if p.get("type") in ("quality_control", "product_development")
        }

    def trained(self, d: str) -> float | None:
        records = [t for t in self.inv.items("training") if str(t.get("department")) == d]
        headcount = sum(int(t.get("headcount") or 0) for t in records)
        return _share(sum(int(t.get("trained") or 0) for t in records), headcount)

    def policy_known(self, d: str) -> float | None:
        for doc in self.inv.items("document"):
            approved = doc.get("type") in ("guidelines", "social_media_policy") and doc.get("approved_by")
            if approved and (not doc.get("departments") or d in map(str, doc["departments"])):
                return 1.0  # approved guidelines that name the department, or a firm-wide policy
        return 0.0

    def metrics_reviewed(self, d: str) -> float | None:
        metrics = [m for m in self.inv.items("metric") if str(m.get("department")) == d]
        reviewed = {str(m.get("id")) for m in self.social_meetings}
        return _share(sum(1 for m in metrics if str(m.get("reviewed_in")) in reviewed), len(metrics))

    def complaints_reach_quality(self, d: str) -> float | None:
        care = [
            p
            for p in self.inv.items("process")
            if p.get("type") == "customer_service" and str(p.get("department")) == d
        ]
        if not care:
            return None
        reach = any(set(map(str, p.get("escalates_to") or [])) & self.quality_departments for p in care)
        return 1.0 if reach else 0.0

    def coordinated(self, d: str) -> float | None:
        joint = [m for m in self.social_meetings if len(m.get("departments") or []) >= 2]
        return 1.0 if any(d in map(str, m.get("departments") or []) for m in joint) else 0.0


VIEWS: dict[str, Callable[[_View, str], float | None]] = {
    "trained": _View.trained,
    "policy_known": _View.policy_known,
    "metrics_reviewed": _View.metrics_reviewed,
    "complaints_reach_quality": _View.complaints_reach_quality,
    "coordinated": _View.coordinated,
}


def compare(questionnaire: Questionnaire, inv: Inventory) -> tuple[Comparison, ...]:
    view = _View(inv)
    out: list[Comparison] = []
    for department, answers in questionnaire.answers.items():
        for measure, staff in answers.items():
            own = VIEWS[measure](view, department)
            flagged = own is not None and round(abs(own - float(staff)), 4) >= DISSONANCE
            out.append(
                Comparison(department, measure, float(staff), own, questionnaire.respondents[department], flagged)
            )
    return tuple(out)


def merge(inv: Inventory, comparisons: tuple[Comparison, ...]) -> Inventory:
    """The inventory with each answered department's ``staff_view`` (measure -> share) and
    ``staff_dissonance`` (the measures flagged), for the rules to read."""
    views: dict[str, dict[str, float]] = {}
    flags: dict[str, list[str]] = {}
    for c in comparisons:
        views.setdefault(c.department, {})[c.measure] = c.staff
        flags.setdefault(c.department, [])
        if c.dissonance:
            flags[c.department].append(c.measure)
    departments: list[dict[str, Any]] = [
        {**d, "staff_view": views[str(d.get("id"))], "staff_dissonance": flags[str(d.get("id"))]}
        if str(d.get("id")) in views
        else d
        for d in inv.items("department")
    ]
    return replace(inv, collections={**inv.collections, "departments": departments})
