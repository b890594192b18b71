"""Rows into accounts and departments: platforms, URLs and handles normalised with the
platform catalogue, departments found or created, stable ids, duplicates left out, and every
such step written into the import report."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from engine.inputs.catalogue import fields_of
from engine.inputs.diagnostics import Diagnostic, InputError, shown
from engine.inputs.importers.mapping import Fill, Mapping, fold_value
from engine.inputs.importers.normalise import cell_text, typed
from engine.inputs.importers.readers import Table, getter
from engine.inputs.importers.report import ImportReport, Issue, SourceSummary
from engine.inputs.platforms import Catalogue, Platform

_SLUG = re.compile(r"[^a-z0-9._-]+")
_KEPT = object()  # the platform as written
_NO_PLATFORM = "row left out: no platform, and no URL on a known platform"
#: The inventory's account fields in schema order: the order every imported account is written in.
ORDER = [name for name in fields_of("account") if "." not in name]


def slug(text: str) -> str:
    """``Développement social Canada`` -> ``developpement-social-canada``: an id part."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG.sub("-", text.lower()).strip("-._")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


@dataclass
class _State:
    """What the rows seen so far have made."""

    departments: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> department
    department_of: dict[str, str] = field(default_factory=dict)  # folded name -> id
    identities: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # identity -> file, row
    ids: dict[str, Any] = field(default_factory=dict)  # id -> the identity it was made for (or "file:row")
    accounts: list[dict[str, Any]] = field(default_factory=list)
    origins: list[tuple[str, int]] = field(default_factory=list)  # each account's file and row
    absent: set[str] = field(default_factory=set)  # optional fields some source has no column for


class Importer:
    """Turns tables into accounts and departments with one mapping and one catalogue."""

    def __init__(self, mapping: Mapping, catalogue: Catalogue, report: ImportReport) -> None:
        self.mapping = mapping
        self.catalogue = catalogue
        self.report = report
        self.state = _State()
        filled = {"id", "platform", "handle", "url", *(f.name for f in mapping.fills)}
        self._order = [n for n in ORDER if n in filled] + [f.name for f in mapping.fills if f.name not in ORDER]
        self._columns = {f.name: (f.columns[0] if f.columns else "") for f in mapping.fills}
        self._has_handle = "handle" in self._columns
        self._slugs: dict[str, str] = {}  # platform id -> its id part
        self._url_column = self._column("url")
        self._platform_column = self._column("platform")
        self._platforms: dict[tuple[str | None, str | None], tuple[Any, tuple[Any, ...]]] = {}
        self._department_ids: dict[str, str] = {}  # a department as written -> its id
        self._orders: dict[tuple[str, ...], tuple[str, ...]] = {}  # a row's fields -> in schema order

    def add(self, table: Table, kind: str) -> None:
        """Read every row of one table; raises InputError when a mapped column is missing."""
        getters, used = self._getters(table)
        unmapped = [c for c in table.columns if c.casefold() not in used] if not table.records else []
        self.report.sources.append(SourceSummary(table.path, kind, len(table.rows), table.sha256, unmapped))
        key = getters.pop("\0key", None)
        fills = [
            (
                fill,
                fill.name,
                getters[fill.name],
                {} if _memoised(fill) else None,
                not (fill.html or fill.pattern),
                _text(fill),
                fill.has_constant,
                fill.default,
            )
            for fill in self.mapping.fills
            if getters[fill.name] or fill.has_constant or fill.default is not None
        ]
        for number, row in zip(table.numbers, table.rows, strict=True):
            notes: list[tuple[str, str, str, str]] = []  # (column, kind, code, message)
            values: dict[str, Any] = {}
            for fill, field_name, pairs, memo, plain, text, constant, default in fills:
                value, column = None, ""
                if constant:
                    value = fill.constant
                else:
                    for name, get in pairs:
                        value = get(row)  # a plain text cell, the common case, inline:
                        value = value.strip() or None if plain and value.__class__ is str else cell_text(fill, value)
                        if value is not None:
                            column = name
                            break
                if value is None:
                    if default is None:
                        continue
                    value = default
                elif text and value.__class__ is str:
                    pass  # free text: the cell's text is the value
                else:
                    if memo is None or value.__class__ is not str:
                        value, found = typed(fill, value)
                    else:  # dates, yes/no, enums: few distinct values, each read once
                        known = memo.get(value)
                        if known is None:
                            known = memo[value] = typed(fill, value)
                        value, found = known
                    if found:
                        notes += [(column, *note) for note in found]
                    if value is None:
                        continue
                values[field_name] = value
            key_value = key[0](row) if key else None
            self._row(table.path, number, values, key_value, notes)

    def _getters(self, table: Table) -> tuple[dict[str, Any], set[str]]:
        problems = []
        getters: dict[str, Any] = {}
        used: set[str] = set()
        wanted = [(fill.name, fill.columns, fill.optional) for fill in self.mapping.fills]
        if self.mapping.id_key:
            wanted.append(("\0key", (self.mapping.id_key,), False))
        for name, columns, optional in wanted:
            found = [(c, g) for c in columns if (g := getter(table, c)) is not None]
            used.update(c.casefold() for c, _ in found)
            if columns and not found and optional:
                self.state.absent.add(name)
            elif columns and not found:
                close = get_close_matches(columns[0], list(table.columns), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f"; its columns: {', '.join(table.columns[:20])}"
                what = "the ids' key" if name == "\0key" else name
                message = f"no column {shown(columns[0])} for {what} (mapping {self.mapping.name}){hint}"
                problems.append(Diagnostic(table.path, 1, 0, message))
            getters[name] = found if name != "\0key" else [g for _, g in found][:1]
        if problems:
            raise InputError(problems)
        return getters, used

    def _column(self, name: str) -> str:
        return self._columns.get(name, "")

    def _row(self, path: str, number: int, values: dict[str, Any], key: Any, notes: list[Any]) -> None:
        url_read = None
        if "url" in values:
            url = values["url"]
            url_read = self.catalogue.read_url(str(url))
            if url_read is None:
                message = f"url: {shown(url)} is not a web address; kept as written"
                notes.append((self._url_column, "doubtful", "url-unreadable", message))
            elif url_read.canonical != url:
                message = f"url: {shown(url)} -> {url_read.canonical}"
                notes.append((self._url_column, "changed", "url-canonical", message))
                values["url"] = url_read.canonical
        from_url = url_read.platform if url_read is not None else None
        written = values.get("platform")
        key_of = (None if written is None else str(written), from_url.id if from_url is not None else None)
        platform = self._platforms.get(key_of)
        if platform is None:
            platform = self._platforms[key_of] = self._platform(key_of[0], from_url)
        if platform[0] is None:
            notes.append((self._platform_column, "dropped", "no-platform", _NO_PLATFORM))
            self.report.issues += [Issue(path, number, *note) for note in notes]
            return
        if platform[0] is not _KEPT:
            values["platform"] = platform[0]
        if platform[1]:
            notes += platform[1]
        bare = self._handle(values, url_read, notes)
        identity = (str(values["platform"]), bare) if bare else self._url_identity(values)
        first = self.state.identities.get(identity) if identity else None
        if first is not None:
            self.report.issues += [Issue(path, number, *note) for note in notes]
            what = "platform and handle" if identity[0] != "url" else "URL"  # type: ignore[index]
            message = f"row left out: the same account as {first[0]}:{first[1]} (same {what})"
            self.report.issues.append(Issue(path, number, "", "dropped", "duplicate", message))
            return
        where = (path, number)
        if identity:
            self.state.identities[identity] = where
            if bare:
                url_identity = self._url_identity(values)
                if url_identity:
                    self.state.identities.setdefault(url_identity, where)
        if "department" in values:
            text = str(values["department"])
            ident = self._department_ids.get(text)
            if ident is None:
                ident = self._department_ids[text] = self._department(text, path, number, notes)
            values["department"] = ident
        values["id"] = self._id(values, key, identity, path, number, notes)
        if notes:
            self.report.issues += [Issue(path, number, *note) for note in notes]
        keys = tuple(values)
        ordered = self._orders.get(keys)
        if ordered is None:
            ordered = self._orders[keys] = tuple(name for name in self._order if name in values)
        self.state.accounts.append({name: values[name] for name in ordered})
        self.state.origins.append(where)

    def _platform(self, text: str | None, from_url: Platform | None) -> tuple[Any, tuple[Any, ...]]:
        """For a written platform (None: none) and the platform of the row's URL: the value
        the row's platform becomes (None: the row is left out; _KEPT: as written) and the
        notes on it. The same for every row with the same pair: worked out once."""
        column = self._platform_column
        notes: list[Any] = []
        value: Any = _KEPT
        if text is None:
            if from_url is None:
                return None, ()
            value = from_url.id
            message = f"platform read from the URL: {from_url.id}"
            notes.append((self._url_column, "changed", "platform-from-url", message))
            platform: Platform | None = from_url
        else:
            platform = self.catalogue.resolve(text)
            if platform is None and from_url is not None:
                value = from_url.id
                message = f"platform {shown(text)} is not one smgov knows; read from the URL: {from_url.id}"
                notes.append((column, "changed", "platform-from-url", message))
                platform = from_url
            elif platform is None:
                suggestion = self.catalogue.suggest(text)
                hint = f" (did you mean {suggestion}?)" if suggestion else ""
                message = f"platform {shown(text)} is not one smgov knows{hint}; kept as written"
                notes.append((column, "doubtful", "platform-unknown", message))
            else:
                value = platform.id
                if platform.id != text:
                    notes.append((column, "changed", "platform-spelling", f"platform {shown(text)} -> {platform.id}"))
                if from_url is not None and from_url.id != platform.id:
                    message = f"platform {platform.id}, but the URL is on {from_url.id}"
                    notes.append((column, "doubtful", "platform-url-mismatch", message))
        if platform is not None and platform.closed_on is not None:
            day = platform.closed_on.isoformat()
            message = f"platform {platform.id} closed on {day} (the baseline's BND-ACC-012 reports live accounts on it)"
            notes.append((column, "doubtful", "platform-closed", message))
        return value, tuple(notes)

    def _handle(self, values: dict[str, Any], url_read: Any, notes: list[Any]) -> str:
        """The handle checked against (or read from) the URL; returns it bare (no @, any
        case: the account's identity with its platform), "" when it has none."""
        from_url = None
        if url_read is not None and url_read.platform is not None and url_read.platform.id == values["platform"]:
            from_url = url_read.handle  # the URL's handle, on the row's platform
        written = values.get("handle")
        if written is None:
            if from_url:
                values["handle"] = from_url
                notes.append((self._url_column, "changed", "handle-from-url", f"handle read from the URL: {from_url}"))
                return _bare(from_url)
            if self._has_handle:
                notes.append((self._column("handle"), "doubtful", "handle-missing", "no handle, and none in the URL"))
            return ""
        bare = _bare(str(written))
        if from_url and bare != _bare(from_url):
            message = f"handle {shown(written)}, but the URL names {shown(from_url)}"
            notes.append((self._column("handle"), "doubtful", "handle-url-mismatch", message))
        return bare if isinstance(written, str) else ""

    @staticmethod
    def _url_identity(values: dict[str, Any]) -> tuple[str, str] | None:
        url = values.get("url")
        return ("url", url.casefold()) if isinstance(url, str) else None

    def _department(self, text: str, path: str, number: int, notes: list[Any]) -> str:
        folded = fold_value(text)
        known = self.state.department_of.get(folded)
        if known is not None:
            return known
        name = self.mapping.department_aliases.get(folded, text)
        if self.mapping.departments_by == "id":
            written = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]*", text) and len(text) <= 200
            ident = text if written else slug(text)[:200] or f"dept-{_digest(folded)}"  # ("!!!" slugs to nothing)
        else:
            ident = self.state.department_of.get(fold_value(name)) or slug(name)[:200] or f"dept-{_digest(folded)}"
        if ident not in self.state.departments:
            self.state.departments[ident] = {"id": ident, "name": name}
            self.report.departments_created.append(ident)
            message = f"department {shown(name)} created as {ident}"
            notes.append((self._column("department"), "changed", "department-created", message))
        self.state.department_of[folded] = ident
        self.state.department_of.setdefault(fold_value(name), ident)
        return ident

    def _id(self, values: dict[str, Any], key: Any, identity: Any, path: str, number: int, notes: list[Any]) -> str:
        prefix = self.mapping.id_prefix
        if key not in (None, ""):
            base = prefix + (slug(str(key)) or _digest(str(key)))
        elif identity and identity[0] != "url":
            part = self._slugs.get(identity[0]) or self._slugs.setdefault(identity[0], slug(identity[0]))
            base = f"{prefix}{part}-{slug(identity[1]) or _digest(identity[1])}"
        elif identity:
            base = f"{prefix}{slug(str(values['platform']))}-{_digest(identity[1])}"
        else:
            content = "\0".join(f"{k}={values[k]}" for k in sorted(values))
            base = f"{prefix}{slug(str(values['platform']))}-{_digest(content)}"
            notes.append(
                (
                    "",
                    "doubtful",
                    "id-from-content",
                    f"no handle, URL or key: id {base} is made from the row's values, so editing the row changes it",
                )
            )
        base = base[:190]
        ident, count = base, 1
        owner = identity or f"{path}:{number}"  # a tuple is never equal to a string
        while ident in self.state.ids and self.state.ids[ident] != owner:
            count += 1
            ident = f"{base}-{count}"
        if count > 1:
            notes.append(("", "doubtful", "id-clash", f"id {base} was taken by another account: this one is {ident}"))
        self.state.ids[ident] = owner
        return ident

    def departments(self) -> list[dict[str, Any]]:
        return list(self.state.departments.values())


def _text(fill: Fill) -> bool:
    """Whether a field takes the cell's text as it is (no type, value map or check to apply)."""
    return fill.kind == "string" and not fill.enum and not fill.values and fill.declared not in ("email", "url")


def _memoised(fill: Fill) -> bool:
    """Whether a field's values repeat enough to read each distinct one once (a team's
    e-mail address, a web site, on many rows)."""
    kinds = ("boolean", "date", "integer", "number")
    return fill.kind in kinds or bool(fill.enum) or bool(fill.values) or fill.declared in ("email", "url")


def _bare(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()
