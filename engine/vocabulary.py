"""Ordered vocabularies as data: severities, levers, default stages, subject kinds.

The lowest layer: every step may import it, and it imports nothing from ``engine``."""

from __future__ import annotations

from typing import Final

#: Most severe first. ``--fail-on`` and sorting use this order.
SEVERITIES: Final = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK: Final = {name: rank for rank, name in enumerate(SEVERITIES)}

#: Simons' four levers of control (MIP-2015), in the order reports show them.
LEVERS: Final = ("belief", "boundary", "diagnostic", "interactive")

#: The four adoption stages (MIP-2015), lowest first. A pack may define its own.
DEFAULT_STAGES: Final = ("initialisation", "contagion", "control", "integration")

#: Subject kind (a rule's ``scope``) -> the inventory key that holds its items.
#: ``organisation`` is a single record, not a collection.
COLLECTION_OF: Final = {
    "department": "departments",
    "account": "accounts",
    "tool": "tools",
    "document": "documents",
    "training": "training",
    "metric": "metrics",
    "process": "processes",
    "meeting": "meetings",
    "alarm": "alarms",
    "incident": "incidents",
    "person": "people",
}
KIND_OF: Final = {collection: kind for kind, collection in COLLECTION_OF.items()}
SCOPES: Final = ("organisation", *COLLECTION_OF)

#: The field through which a subject belongs to a department (a list field counts toward
#: each department it names). Kinds missing here belong to no department.
DEPARTMENT_FIELD: Final = {
    "department": "id",
    "account": "department",
    "tool": "departments",
    "training": "department",
    "metric": "department",
    "process": "department",
    "person": "department",
}


def at_or_above(severity: str, threshold: str) -> bool:
    """True when ``severity`` is as severe as ``threshold`` or more."""
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold]
