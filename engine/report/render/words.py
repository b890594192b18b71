"""Evidence in plain words, for the reports people read (text, Markdown, HTML).

A finding's evidence is recorded as the policy language reads it (``related(processes) = 0``,
``days_since(last_reviewed_on) = None``): exact, and kept so in the JSON, SARIF and CSV
reports. A compliance officer reads instead "no process is linked", "last reviewed: not
recorded", "mfa: no". Grammar holds for every value: "1 process is linked", "3 processes are
linked", "in 1 day", "an ad hoc basis".
"""

from __future__ import annotations

import re
from typing import Any

from engine.evaluate.findings import Evidence
from engine.vocabulary import KIND_OF

NOT_RECORDED = "not recorded"

_CALL = re.compile(r"^(related|count|days_since|days_until|share)\((.*)\)$")


def field_words(label: str) -> str:
    """``last_reviewed_on`` -> "last reviewed"; ``$governance.long_term_plan_years`` ->
    "governance: long term plan years"; ``departments_involved where …`` -> "departments
    involved (that qualify)"."""
    label = label.replace(" where …", " (that qualify)")
    root = ""
    for prefix in ("$governance.", "$organisation."):
        if label.startswith(prefix):
            root, label = f"{prefix[1:-1]}: ", label[len(prefix) :]
    words = label.replace(".", ": ").replace("_", " ")
    words = re.sub(r" on\b", "", words) if re.search(r"\b(last|next|completed|created|approved)\b", words) else words
    return root + words


def value_words(value: Any) -> str:
    """A value as a sentence shows it: absent -> "not recorded", booleans yes/no, an enum
    word with its underscores as spaces, a list joined."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value) if value else "none"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", value):
        return value.replace("_", " ")
    return str(value)


def _singular(collection: str) -> str:
    return {"training": "training record"}.get(collection, KIND_OF.get(collection, collection))


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def plain(evidence: Evidence) -> str:
    """One piece of evidence as a phrase."""
    label, value = evidence.label, evidence.value
    call = _CALL.match(label)
    if call is None:
        if " matches " in label and isinstance(value, bool):
            name = label.split(" matches ")[0]
            return f"{field_words(name)}: {'matches' if value else 'does not match'} the required form"
        return f"{field_words(label)}: {value_words(value)}"
    function, inner = call.groups()
    if function == "related":
        collection = inner
        if not isinstance(value, int):
            return f"linked {collection}: {value_words(value)}"
        if value == 0:
            return f"no {_singular(collection)} is linked"
        return f"1 {_singular(collection)} is linked" if value == 1 else f"{value} {collection} are linked"
    if function == "count":
        return f"{field_words(inner)}: {'none' if value == 0 else value_words(value)}"
    if function == "share":
        share = f"{100 * value:.0f}%" if isinstance(value, int | float) and not isinstance(value, bool) else None
        return f"{field_words(inner)}: {share or 'none to count'}"
    name = field_words(inner)
    if not isinstance(value, int) or isinstance(value, bool):
        return f"{name}: {value_words(value)}"
    if function == "days_since":
        return f"{name}: {_days(value)} ago" if value >= 0 else f"{name}: in {_days(-value)}"
    return f"{name}: in {_days(value)}" if value >= 0 else f"{name}: {_days(-value)} ago"


def sentence(evidence: tuple[Evidence, ...]) -> str:
    """All of a finding's evidence, joined."""
    return "; ".join(plain(e) for e in evidence)
