"""Indented JSON text, fast: every JSON file smgov writes goes through :func:`dumps`."""

from __future__ import annotations

import json
from typing import Any

import msgspec


def dumps(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)``, byte for byte, in C.

    The standard library encodes with its C encoder only without ``indent``; its indenting
    encoder is pure Python (~6 s for a report of 100,000 findings). So the compact text is
    re-indented by msgspec, which keeps every token (strings, numbers) as written. What
    msgspec cannot read back (``NaN``, which the standard library writes as a bare word) takes
    the slow path."""
    compact = json.dumps(data, ensure_ascii=False)
    try:
        return msgspec.json.format(compact.encode(), indent=2).decode()
    except msgspec.DecodeError:
        return json.dumps(data, indent=2, ensure_ascii=False)
