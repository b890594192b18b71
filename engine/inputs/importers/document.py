"""The imported inventory: sources read with a mapping, made into one inventory document,
checked against the inventory schema like any inventory, and rendered as JSON or YAML
(byte-identical for the same sources and mapping: no dates, no counters, a fixed order)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from engine.inputs import inventory
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.importers import readers
from engine.inputs.importers.accounts import Importer
from engine.inputs.importers.mapping import Mapping
from engine.inputs.importers.mapping import load as load_mapping
from engine.inputs.importers.report import ImportReport
from engine.inputs.platforms import catalogue
from engine.inputs.positions import MarkTable
from engine.inputs.schemas import load_schema
from engine.inputs.sources import Source

FORMATS = ("json", "yaml")


@dataclass(frozen=True)
class Imported:
    """An import's result: the inventory document and the report on how it was made."""

    document: dict[str, Any]
    report: ImportReport


def supports(block: str) -> bool:
    """Whether this smgov's inventory format has a top-level ``block`` (``recorded``, ``fields``)."""
    return block in load_schema("inventory").get("properties", {})


def run(
    paths: list[str],
    mapping: str | Mapping,
    encoding: str | None = None,
    organisation: str | None = None,
    part: bool = False,
) -> Imported:
    """Import the sources with the mapping (a file, a built-in name or a loaded one). Raises
    InputError when a source or the mapping cannot be read, or a mapped column is missing.
    ``part``: the document has no organisation block, to be merged with an inventory that has
    one (a directory of inventory files)."""
    chosen = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    report = ImportReport(mapping=chosen.name)
    importer = Importer(chosen, catalogue(), report)
    problems: list[Diagnostic] = []
    seen: dict[Path, str] = {}  # resolved path -> the name it was first given as
    for name in paths:
        path = Path(name)
        if not path.is_file():
            problems.append(Diagnostic(name, message="no such file" if not path.exists() else "not a regular file"))
            continue
        if path.resolve() in seen:  # its rows would all be duplicates of themselves
            first = seen[path.resolve()]
            problems.append(Diagnostic(name, message=f"the same file as {first}, given twice: each is read once"))
            continue
        seen[path.resolve()] = name
        try:
            table = readers.read(path, encoding or chosen.encoding, chosen.sheet, chosen.records)
            importer.add(table, readers.kind_of(path))
        except InputError as exc:
            problems.extend(exc.diagnostics)
        except OSError as exc:
            problems.append(Diagnostic(name, message=f"cannot read: {exc.strerror or exc}"))
    if problems:
        raise InputError(problems)
    report.accounts = len(importer.state.accounts)
    document = _document(chosen, importer, organisation)
    _check(document, importer)
    if part:
        del document["organisation"]
    return Imported(document, report)


def _document(mapping: Mapping, importer: Importer, organisation: str | None) -> dict[str, Any]:
    org = dict(mapping.organisation)
    if organisation:
        org["name"] = organisation
    document: dict[str, Any] = {"version": 1, "organisation": org}
    accounts = importer.state.accounts
    if mapping.declared and supports("fields"):
        document["fields"] = {"accounts": dict(mapping.declared)}
    elif mapping.declared:  # an inventory format without declared fields cannot hold them
        names = set(mapping.declared)
        accounts = [{k: v for k, v in a.items() if k not in names} for a in accounts]
        importer.report.notes.append(
            f"not written: {', '.join(mapping.declared)} (this smgov's inventory format has no declared fields)"
        )
    if supports("recorded"):
        document["recorded"] = {"accounts": recorded(mapping, importer.state.absent)}
    departments = importer.departments()
    if departments:
        document["departments"] = departments
    document["accounts"] = accounts
    return document


def recorded(mapping: Mapping, absent: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """The account fields this import records: the mapped ones (but an optional one that a
    source has no column for), the id it makes, and the platform and handle it reads from a
    URL."""
    names = {"id", "platform", *(fill.name for fill in mapping.fills if fill.name not in absent)}
    if not supports("fields"):
        names -= set(mapping.declared)
    if "url" in names:
        names.add("handle")
    from engine.inputs.importers.accounts import ORDER

    return [n for n in ORDER if n in names] + [f.name for f in mapping.fills if f.name in names and f.name not in ORDER]


def _check(document: dict[str, Any], importer: Importer) -> None:
    """The document is checked like any inventory. A value the schema refuses is a mapping
    problem (``values:`` mapping to a value the field does not take, a constant of the wrong
    type): reported at the row and column it came from."""
    source = Source("<imported inventory>", document, MarkTable({}), "", json_types=True)
    problems = inventory.check([source])
    if not problems:
        return
    columns = {f.name: (f.columns[0] if f.columns else "mapping") for f in importer.mapping.fills}
    found = []
    for problem in problems:
        at = _ACCOUNT.match(problem.path)
        message = f"the imported inventory would be invalid: {problem.message} (check the mapping)"
        if at and int(at.group(1)) < len(importer.state.origins):
            file, row = importer.state.origins[int(at.group(1))]
            column = columns.get(at.group(2), at.group(2))
            found.append(Diagnostic(file, row, 0, f"{column}: {message}", problem.path))
        else:
            found.append(Diagnostic(importer.mapping.path, 0, 0, message, problem.path))
    raise InputError(found)


_ACCOUNT = re.compile(r"^accounts\[(\d+)\]\.?([A-Za-z0-9_]*)")


def render(document: dict[str, Any], fmt: str = "json") -> str:
    """The inventory as text: JSON (indented, UTF-8) or YAML (block style, keys in order)."""
    if fmt == "yaml":
        body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
        return "# Written by smgov import: edit the sources and import again rather than this file.\n" + body
    return json_text(document)


def json_text(data: Any) -> str:
    """Indented JSON (UTF-8, two spaces, keys in order) and a newline, encoded and indented
    by msgspec in C (the standard library's indenting encoder is pure Python: seconds for
    100k rows)."""
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n"
