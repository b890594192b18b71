"""Fact identity: durable's 32-bit FNV-1a hash, and fact ids chosen so that no two collide."""

from __future__ import annotations

from collections.abc import Iterable

from engine.evaluate.evaluation import EvaluatorRefused

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    """The hash durable's C core keeps of a fact id or property name (``fnv1Hash32``).

    It XORs each byte as a *signed* char (x86), which differs from textbook FNV-1a for
    bytes >= 0x80; ids made here are ASCII, where the two agree.
    """
    h = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        if byte >= 0x80:
            byte -= 0x100
        h = ((h ^ (byte & 0xFFFFFFFF)) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def _fact_id(index: int, attempt: int) -> str:
    """The id of subject ``index``; ``attempt`` > 0 re-salts it after a hash collision."""
    return f"{index:x}" if attempt == 0 else f"{index:x}~{attempt}"


#: Re-salting attempts per fact before the evaluator refuses.
MAX_ID_ATTEMPTS = 8


def _assign_ids(count: int, reserved: Iterable[str]) -> list[str]:
    """Ids for ``count`` facts whose 32-bit FNV-1a hashes differ from each other and from
    ``reserved`` (trigger, state records). Raises EvaluatorRefused when that fails."""
    taken: dict[int, str] = {}
    for name in reserved:
        taken.setdefault(fnv1a32(name), name)
    ids: list[str] = []
    for index in range(count):
        for attempt in range(MAX_ID_ATTEMPTS):
            candidate = _fact_id(index, attempt)
            h = fnv1a32(candidate)
            if h not in taken:
                break
        else:
            raise _collision(taken[h], candidate, h)
        taken[h] = candidate
        ids.append(candidate)
    check_ids([*reserved, *ids])
    return ids


def _collision(first: str, second: str, h: int) -> EvaluatorRefused:
    what = (
        f"the fact id {first!r} is used twice"
        if first == second
        else (f"the fact ids {first!r} and {second!r} share the 32-bit FNV-1a hash {h}")
    )
    return EvaluatorRefused(
        f"{what}; durable-rules identifies facts by that hash only, so it would drop the second "
        "as already observed and lose its findings silently: the durable evaluator refuses"
    )


def check_ids(ids: Iterable[str]) -> None:
    """Raise EvaluatorRefused if two different ids of one session collide in durable's hash."""
    seen: dict[int, str] = {}
    for ident in ids:
        h = fnv1a32(ident)
        if h in seen:
            raise _collision(seen[h], ident, h)
        seen[h] = ident
