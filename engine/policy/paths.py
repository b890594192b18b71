"""What a path in a condition names: the field it reads and its type, in a context (layer 2).

``resolve`` turns ``owner``, ``$subject.headcount``, ``$item`` ... into the IR field it reads and
the catalogue entry that types it (the bundled inventory schema, or the effective one with
declared fields); an unknown field is a ``CompileError`` with "did you mean".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from engine.inputs.catalogue import Field as Spec
from engine.inputs.catalogue import fields_of
from engine.policy import ir

PathT = tuple[str | int, ...]
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class CompileError(Exception):
    """A problem in one condition; ``where`` is the path inside the rule (``require.all[1]``)."""

    def __init__(self, message: str, where: PathT) -> None:
        super().__init__(message)
        self.message, self.where = message, where


@dataclass(frozen=True)
class Context:
    """What plain paths mean here: the subject's fields, or the current list item's."""

    subject: str  # the rule's scope
    item: Mapping[str, Spec] | Spec | None = None  # fields of an object item, or a scalar item
    item_label: str = ""
    schema: str = "inventory"  # the inventory schema fields are typed by (with declared fields)

    def fields(self, kind: str) -> dict[str, Spec]:
        return fields_of(kind, self.schema)


def _hint(word: str, choices: list[str]) -> str:
    match = get_close_matches(word, choices, n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def resolve(path: Any, ctx: Context, where: PathT) -> tuple[ir.Field, Spec]:
    """A path string -> the IR field it reads and the catalogue entry that types it."""
    if not isinstance(path, str) or not path:
        raise CompileError(f"a path must be a non-empty string, got {path!r}", where)
    if path == "$item":
        if not isinstance(ctx.item, Spec):
            raise CompileError("'$item' is only meaningful inside a list operator over plain values", where)
        return ir.Field("item", ()), ctx.item
    head, _, rest = path.partition(".")
    roots = {
        "$subject": ("subject", ctx.fields(ctx.subject)),
        "$organisation": (
            "organisation",
            {k: v for k, v in ctx.fields("organisation").items() if not k.startswith("governance")},
        ),
        "$governance": ("governance", ctx.fields("governance")),
    }
    if head in roots:
        root, fields = roots[head]
        if not rest:
            raise CompileError(f"'{head}' must be followed by a field, e.g. '{head}.name'", where)
        name = rest
    elif head.startswith("$"):
        raise CompileError(f"unknown root {head!r} (use $item, $subject, $organisation or $governance)", where)
    elif isinstance(ctx.item, Spec):
        raise CompileError(
            f"the items of {ctx.item_label} are plain values: use '$item' (or '$subject.{path}' for the subject)", where
        )
    elif ctx.item is not None:
        root, fields, name = "item", ctx.item, path
    else:
        root, fields, name = "subject", ctx.fields(ctx.subject), path
    parts = name.split(".")
    if not all(_NAME.match(p) for p in parts):
        raise CompileError(f"{path!r} is not a valid path (lower-case names joined by dots)", where)
    spec = fields.get(name)
    if spec is None:
        owner = ctx.item_label if root == "item" else (ctx.subject if root == "subject" else root)
        raise CompileError(f"unknown field {name!r} for {owner}{_hint(name, sorted(fields))}", where)
    return ir.Field(root, tuple(parts)), spec
