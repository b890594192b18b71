"""The mapping file (``schemas/mapping.schema.json``): which column feeds which inventory
field, and how its values are read. Built-in mappings live in ``mappings/`` beside this
module and are named by their file's stem (``smgov import --list-mappings``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from engine.inputs import schemas
from engine.inputs.catalogue import Field, fields_of
from engine.inputs.diagnostics import Diagnostic, InputError, shown
from engine.inputs.inventory import READ_ONLY
from engine.inputs.sources import read

BUILT_IN_DIR = Path(__file__).with_name("mappings")
#: Declared field types (the shared ``fields:`` format) -> the catalogue's kind of value.
DECLARED_KINDS = {"string": "string", "email": "string", "url": "string", "boolean": "boolean"}
DECLARED_KINDS |= {"integer": "integer", "number": "number", "date": "date"}


@dataclass(frozen=True)
class Fill:
    """How one field is filled: from which columns, and how its value is read."""

    name: str
    kind: str  # string | boolean | integer | number | date | array
    columns: tuple[str, ...] = ()
    constant: Any = None
    has_constant: bool = False
    default: Any = None
    values: dict[str, Any] = field(default_factory=dict)  # folded written value -> value
    dates: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    html: bool = False
    split: str = ""
    enum: tuple[Any, ...] = ()
    declared: Any = None  # for a declared field: its type as the inventory's `fields:` states it
    optional: bool = False  # a source may lack its column (then the field is not recorded)


@dataclass(frozen=True)
class Mapping:
    """A mapping file, checked and compiled."""

    name: str
    path: str
    description: str
    records: str
    sheet: str | int | None
    encoding: str | None
    organisation: dict[str, Any]
    fills: tuple[Fill, ...]  # inventory fields first, then declared ones
    declared: dict[str, Any]  # name -> declared type, for the inventory's `fields:`
    departments_by: str
    department_aliases: dict[str, str]
    id_key: str
    id_prefix: str


def built_in() -> dict[str, Path]:
    """Name -> file of every built-in mapping."""
    return {p.stem: p for p in sorted(BUILT_IN_DIR.glob("*.yaml"))}


def describe_built_in() -> list[tuple[str, str]]:
    """(name, first line of its description) of every built-in mapping."""
    out = []
    for name, path in built_in().items():
        loaded = load(str(path))
        out.append((name, loaded.description.strip().splitlines()[0] if loaded.description.strip() else ""))
    return out


def resolve(reference: str) -> Path:
    """A mapping file's path, or a built-in mapping's name -> its file."""
    path = Path(reference)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
        return path
    known = built_in()
    if reference in known:
        return known[reference]
    close = get_close_matches(reference, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; built-in mappings: {', '.join(known)}"
    raise InputError([Diagnostic(reference, message=f"no such mapping file or built-in mapping{hint}")])


def load(reference: str) -> Mapping:
    """Read, check and compile a mapping (a file or a built-in name); raises InputError."""
    path = resolve(reference)
    source = read(path)
    if isinstance(source, Diagnostic):
        raise InputError([source])
    problems = schemas.problems("mapping", source)
    if problems:
        raise InputError(problems)
    data = source.data
    where = source.positions.locate
    account_fields = fields_of("account")
    problems = []
    fills = []
    for name, spec in (data.get("accounts") or {}).items():
        known = account_fields.get(name)
        line, col = where(("accounts", name))
        if known is None or name in READ_ONLY["accounts"]:
            close = get_close_matches(name, [f for f in account_fields if "." not in f], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            what = "read-only (smgov gives it)" if known else "not an account field of the inventory"
            problems.append(Diagnostic(str(path), line, col, f"{shown(name)} is {what}{hint}", f"accounts.{name}"))
            continue
        if name == "id":
            problems.append(Diagnostic(str(path), line, col, "ids are made by the import: use ids.key", "accounts.id"))
            continue
        fills.append(_fill(name, spec, known, str(path), (line, col), problems))
    declared = {}
    for name, spec in (data.get("fields") or {}).items():
        line, col = where(("fields", name))
        if name in account_fields:
            message = f"{shown(name)} is already an account field: fill it under accounts"
            problems.append(Diagnostic(str(path), line, col, message, f"fields.{name}"))
            continue
        declared[name] = spec["type"]
        fills.append(_fill(name, spec, _declared_field(name, spec["type"]), str(path), (line, col), problems))
    filled = {f.name for f in fills}
    if "platform" not in filled and "url" not in filled:
        problems.append(Diagnostic(str(path), *where(("accounts",)), "accounts needs platform, or url to read it from"))
    if problems:
        raise InputError(problems)
    source_block = data.get("source") or {}
    departments = data.get("departments") or {}
    ids = data.get("ids") or {}
    return Mapping(
        name=str(data.get("name") or path.stem),
        path=str(path),
        description=str(data.get("description") or ""),
        records=str(source_block.get("records") or ""),
        sheet=source_block.get("sheet"),
        encoding=source_block.get("encoding"),
        organisation=dict(data.get("organisation") or {"name": "Imported organisation"}),
        fills=tuple(fills),
        declared=declared,
        departments_by=str(departments.get("by", "name")),
        department_aliases={_fold(k): v for k, v in (departments.get("aliases") or {}).items()},
        id_key=str(ids.get("key") or ""),
        id_prefix=str(ids.get("prefix") or "acc-"),
    )


def _fold(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def _declared_field(name: str, declared: Any) -> Field:
    """A declared type as a catalogue field (what the importer needs to read its values)."""
    if isinstance(declared, dict) and "enum" in declared:
        return Field(name, "string", enum=tuple(declared["enum"]))
    if isinstance(declared, dict) and "list" in declared:
        return Field(name, "array", item_type=DECLARED_KINDS.get(str(declared["list"]), "string"))
    kind = declared.get("type") if isinstance(declared, dict) else declared
    return Field(name, DECLARED_KINDS.get(str(kind), "string"))


def _fill(name: str, spec: dict[str, Any], known: Field, path: str, at: tuple[int, int], problems: list[Any]) -> Fill:
    column = spec.get("column")
    columns = tuple(str(c) for c in (column if isinstance(column, list) else [column] if column is not None else []))
    pattern = None
    if "pattern" in spec:
        try:
            pattern = re.compile(spec["pattern"])
        except re.error as exc:
            problems.append(Diagnostic(path, *at, f"pattern is not a regular expression: {exc}", f"{name}.pattern"))
    values = {_fold(k): v for k, v in (spec.get("values") or {}).items()}
    return Fill(
        name=name,
        kind=known.type,
        columns=columns,
        constant=spec.get("value"),
        has_constant="value" in spec,
        default=spec.get("default"),
        values=values,
        dates=tuple(spec.get("dates") or ()),
        pattern=pattern,
        html=bool(spec.get("html")),
        split=str(spec.get("split") or ""),
        enum=known.enum or known.item_enum,
        declared=spec.get("type"),
        optional=bool(spec.get("optional")),
    )
