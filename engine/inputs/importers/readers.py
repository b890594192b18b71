"""Reading an account list into a table: CSV (the standard library's csv, with its Sniffer
for the delimiter), spreadsheets (XLSX, XLS, ODS through python-calamine) and JSON lists of
records. A table is its header and its rows; each row keeps the number a person sees
(the spreadsheet's row number, the header being row 1; a JSON record's place, from 1)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path
from typing import Any

from engine.inputs import limits
from engine.inputs.diagnostics import Diagnostic, InputError, shown
from engine.inputs.sources import load

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
JSON_SUFFIXES = (".json",)
SUFFIXES = CSV_SUFFIXES + SPREADSHEET_SUFFIXES + JSON_SUFFIXES
_SNIFF_BYTES = 8 * 1024  # csv.Sniffer reads a sample; the header and the first rows tell
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Table:
    """One source, read. ``rows`` are tuples of cells in header order (CSV, spreadsheets) or
    the JSON records themselves (``records``)."""

    path: str
    columns: tuple[str, ...]
    rows: list[Any]
    numbers: range | list[int]  # the row number of each row, as a person would name it
    records: bool = False  # JSON: each row is a record, read by path, not by column index
    sha256: str = ""


def kind_of(path: Path) -> str:
    """``csv``, ``spreadsheet`` or ``json`` by the file's suffix; ``""`` when none of them."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in SPREADSHEET_SUFFIXES:
        return "spreadsheet"
    return "json" if suffix in JSON_SUFFIXES else ""


def read(path: Path, encoding: str | None = None, sheet: str | int | None = None, records: str = "") -> Table:
    """Read one source; raises InputError with the file's problem."""
    kind = kind_of(path)
    name = str(path)
    if not kind:
        raise InputError(
            [
                Diagnostic(
                    name,
                    message=f"cannot import {path.suffix or 'a file without suffix'}: "
                    f"give a CSV, a spreadsheet ({', '.join(SPREADSHEET_SUFFIXES)}) or JSON",
                )
            ]
        )
    loaded = load(path)  # the same bounds as every input: a regular file, at most --max-file-size
    if isinstance(loaded, Diagnostic):
        raise InputError([loaded])
    raw = loaded.raw
    if kind == "spreadsheet":
        _unpacked_size(name, path)
        table = read_spreadsheet(path, sheet, raw)
    elif kind == "csv":
        table = read_csv_bytes(name, raw, encoding)
    else:
        table = read_json_bytes(name, raw, records, encoding)
    return replace(table, sha256=hashlib.sha256(raw).hexdigest())


def _unpacked_size(name: str, path: Path) -> None:
    """A zipped workbook (XLSX, ODS) whose parts unpack to more than the file-size limit is
    refused before it is opened: a few kilobytes can hold gigabytes of repeated cells."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip (XLS), or damaged: the spreadsheet reader says what it is
    if unpacked > limits.max_file_size():
        raise InputError(
            [
                Diagnostic(
                    name,
                    message=f"the workbook unpacks to {unpacked} bytes, more than the limit of "
                    f"{limits.size_in_words(limits.max_file_size())}: raise it with `smgov --max-file-size SIZE`",
                )
            ]
        )


def _finite(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise ValueError(token)
    return value


def _no_constant(token: str) -> Any:
    raise ValueError(token)


def _decode(name: str, raw: bytes, encoding: str | None) -> str:
    chosen = encoding or "utf-8-sig"
    try:
        text = raw.decode(chosen)
    except LookupError:
        raise InputError([Diagnostic(name, message=f"unknown encoding {chosen!r}")]) from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = "; give its encoding with --encoding (cp1252, latin-1 ...)" if encoding is None else ""
        raise InputError([Diagnostic(name, line, 1, f"not {chosen} text{hint}")]) from None
    return text.removeprefix("\ufeff")


def read_csv_bytes(name: str, raw: bytes, encoding: str | None = None) -> Table:
    """A CSV file: the delimiter sniffed from its start, the first row its header."""
    if b"\x00" in raw[:8192] and not (encoding or "").lower().startswith("utf-16"):
        raise InputError([Diagnostic(name, 1, 1, "binary file: expected CSV text (a spreadsheet needs its suffix)")])
    text = _decode(name, raw, encoding)
    if not text.strip():
        raise InputError([Diagnostic(name, 1, 1, "the file is empty")])
    sample = text[:_SNIFF_BYTES]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:  # one column, or too little to tell: the standard comma
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise InputError([Diagnostic(name, 1, 1, f"not readable as CSV: {exc}")]) from None
    return _table(name, rows)


def _table(name: str, rows: list[Any], first: int = 1) -> Table:
    """A header row and the rows after it, empty ones left out; ``first``: the header's number."""
    while rows and not any(_present(c) for c in rows[0]):  # leading blank rows
        rows = rows[1:]
        first += 1
    if not rows:
        raise InputError([Diagnostic(name, 1, 1, "no header row: the file has no rows")])
    header = tuple(_text(c).strip() for c in rows[0])
    problems = [
        Diagnostic(name, first, col, f"column {col} has no name in the header row")
        for col, title in enumerate(header, 1)
        if not title and any(len(r) >= col and _present(r[col - 1]) for r in rows[1:])
    ]
    seen: dict[str, int] = {}
    for col, title in enumerate(header, 1):
        if title and title.casefold() in seen:
            problems.append(
                Diagnostic(
                    name, first, col, f"column {shown(title)} appears twice (also column {seen[title.casefold()]})"
                )
            )
        seen.setdefault(title.casefold(), col)
    if problems:
        raise InputError(problems)
    width = len(header)
    kept, numbers = [], []
    for number, row in enumerate(rows[1:], first + 1):
        if any(_present(c) for c in row):
            kept.append(tuple(row[:width]) + ("",) * (width - len(row)) if len(row) != width else tuple(row))
            numbers.append(number)
    return Table(name, header, kept, numbers)


def _present(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell)


def read_spreadsheet(path: Path, sheet: str | int | None = None, raw: bytes | None = None) -> Table:
    """The first sheet (or ``sheet``, by name or 0-based number) of a workbook (``raw``: its
    bytes, already read)."""
    name = str(path)
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - the extra is part of the test install
        raise InputError(
            [
                Diagnostic(
                    name,
                    message="reading spreadsheets needs python-calamine: "
                    "pip install 'smgov[spreadsheets]', or save the sheet as CSV",
                )
            ]
        ) from None
    try:
        book = CalamineWorkbook.from_path(str(path)) if raw is None else CalamineWorkbook.from_filelike(io.BytesIO(raw))
        names = list(book.sheet_names)
        if isinstance(sheet, str) and sheet not in names:
            raise InputError([Diagnostic(name, message=f"no sheet {shown(sheet)}; the sheets are {', '.join(names)}")])
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise InputError([Diagnostic(name, message=f"no sheet number {sheet}; it has {len(names)} sheet(s)")])
        chosen = sheet if isinstance(sheet, str) else names[sheet or 0]
        rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine's own errors (not a workbook, a damaged zip ...)
        raise InputError([Diagnostic(name, message=f"not a readable spreadsheet: {exc}")]) from None
    return _table(name, [[_cell(c) for c in row] for row in rows])


def _cell(value: Any) -> Any:
    """A spreadsheet cell as text, a bool, or a date (a whole-day datetime is a date)."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (bool, dt.date)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def read_json_bytes(name: str, raw: bytes, records: str = "", encoding: str | None = None) -> Table:
    """A JSON list of records, at the dotted path ``records`` inside the document (``""``:
    the document is the list). A record is an object, or an array read by column number."""
    text = _decode(name, raw, encoding)
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise InputError([Diagnostic(name, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")]) from None
    except ValueError:  # NaN, Infinity, 1e400 (JSON numbers are finite), a number too long for Python
        message = "not valid JSON: a number that is not finite (NaN, Infinity, 1e400) or has too many digits"
        raise InputError([Diagnostic(name, 1, 1, message)]) from None
    except RecursionError:
        raise InputError([Diagnostic(name, 1, 1, "not readable JSON: nesting too deep")]) from None
    found = data
    walked = "$"
    for part in [p for p in records.split(".") if p]:
        if isinstance(found, dict) and part in found:
            found = found[part]
        elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        else:
            keys = ", ".join(map(str, list(found)[:10])) if isinstance(found, dict) else type(found).__name__
            raise InputError([Diagnostic(name, 1, 1, f"no {shown(part)} under {walked} (there: {keys})")])
        walked += f".{part}"
    if not isinstance(found, list):
        hint = (
            " (give the path to the list of records in the mapping's source.records)" if isinstance(found, dict) else ""
        )
        raise InputError([Diagnostic(name, 1, 1, f"expected a list of records at {walked}{hint}")])
    kept = [r for r in found if r not in (None, {}, [])]
    numbers = [n for n, r in enumerate(found, 1) if r not in (None, {}, [])]
    bad = [n for n, r in zip(numbers, kept, strict=True) if not isinstance(r, (dict, list))]
    if bad:
        raise InputError([Diagnostic(name, bad[0], 0, f"record {bad[0]} is not an object or an array")])
    columns = sorted({str(k) for r in kept if isinstance(r, dict) for k in r})
    return Table(name, tuple(columns), kept, numbers, records=True)


def getter(table: Table, column: str) -> Callable[[Any], Any] | None:
    """A function from a row to the cell of ``column`` (a header name, matched ignoring case
    and surrounding spaces; in JSON a dotted path such as ``agencies.0.name``, or a number
    for array records); None when the table has no such column."""
    if not table.records:
        wanted = column.strip().casefold()
        for index, title in enumerate(table.columns):
            if title.casefold() == wanted:
                return itemgetter(index)
        return None
    parts = [p for p in column.split(".") if p]

    def pick(record: Any) -> Any:
        value = record
        for part in parts:
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return value

    head = parts[0] if parts else ""
    usable = head in table.columns or head.isdigit() or not table.columns
    return pick if usable else None
