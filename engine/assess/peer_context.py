"""The organisation's own figures beside its peers' (``peers.yaml``): context, not a pass mark.

Each measure is computed from the inventory alone; ``None`` when the inventory does not
record what it needs (then the line says so rather than guessing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.inputs.inventory import Inventory
from engine.policy.peers import Figure, Peers


@dataclass(frozen=True)
class PeerLine:
    """One peer figure and the organisation's own figure for the same measure."""

    id: str
    measure: str
    own: float | None  # the organisation's share (0..1); None when not recorded
    own_text: str
    peers: float
    statement: str
    source: str
    sample: str
    year: int
    sector: str | None
    size: str | None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _plan(inv: Inventory) -> tuple[float | None, str]:
    years = inv.governance.get("long_term_plan_years")
    if not isinstance(years, (int, float)) or isinstance(years, bool):
        return None, "plan horizon not recorded"
    return (1.0 if years > 1 else 0.0), f"plan horizon {years:g} year{'s' if years != 1 else ''}"


def _sponsor(inv: Inventory) -> tuple[float | None, str]:
    role = inv.governance.get("executive_sponsor_role")
    if not inv.governance.get("executive_sponsor"):
        return 0.0, "no executive sponsor"
    return (1.0 if role in ("board", "executive") else 0.0), f"sponsor's role: {role or 'not recorded'}"


def _metrics(inv: Inventory) -> tuple[float | None, str]:
    metrics = inv.items("metric")
    tied = sum(1 for m in metrics if m.get("business_outcome"))
    share = _share(tied, len(metrics))
    return share, (f"{tied} of {len(metrics)} metrics tied to a business outcome" if metrics else "no metrics")


def _trained(inv: Inventory) -> tuple[float | None, str]:
    using = {str(d.get("id")) for d in inv.items("department") if d.get("uses_social_media") is True}
    trained = headcount = 0
    for record in inv.items("training"):
        if str(record.get("department")) in using and isinstance(record.get("headcount"), int):
            trained += int(record.get("trained") or 0)
            headcount += int(record["headcount"])
    share = _share(trained, headcount)
    return share, (
        f"{trained} of {headcount} staff in social-media departments trained"
        if headcount
        else "no department training recorded"
    )


def _coordinated(inv: Inventory) -> tuple[float | None, str]:
    joint = [
        m
        for m in inv.items("meeting")
        if m.get("uses_social_media_information") and len(m.get("departments") or []) >= 2
    ]
    declared = inv.governance.get("coordinated_across_departments")
    if joint:
        return 1.0, f"{len(joint)} cross-department review{'s' if len(joint) != 1 else ''} of social-media information"
    return 0.0, "no cross-department review" + (" (declared coordinated)" if declared else "")


#: Measures that are yes or no for one organisation (the peers' figure is the share of firms).
YES_NO = frozenset({"long_term_plan", "executive_sponsor", "coordinated"})

MEASURES: dict[str, Callable[[Inventory], tuple[float | None, str]]] = {
    "long_term_plan": _plan,
    "executive_sponsor": _sponsor,
    "metrics_tied_to_outcomes": _metrics,
    "staff_trained": _trained,
    "coordinated": _coordinated,
}


def _line(figure: Figure, inv: Inventory) -> PeerLine:
    own, text = MEASURES[figure.measure](inv)
    return PeerLine(
        figure.id,
        figure.measure,
        own,
        text,
        figure.value,
        figure.statement,
        figure.source,
        figure.sample,
        figure.year,
        figure.sector,
        figure.size,
    )


def context(peers: Peers, inv: Inventory) -> tuple[PeerLine, ...]:
    return tuple(_line(f, inv) for f in peers.figures)
