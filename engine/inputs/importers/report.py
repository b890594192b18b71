"""The import report: every row dropped, changed or doubtful, as ``file:row:column: what and
why``, in text (for people, on standard error) and JSON (``schemas/import-report.schema.json``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgspec

#: What happened to a row or a value: left out, changed by a rule, or kept but worth a look.
KINDS = ("dropped", "changed", "doubtful")
#: Text lines shown per kind of issue before "... and N more" (the JSON report has them all).
TEXT_LIMIT = 20


class Issue(msgspec.Struct, frozen=True, order=True, gc=False):
    """One thing the import did to a row, or found doubtful in it (a msgspec Struct: an import
    of 100,000 dirty rows makes hundreds of thousands, made and encoded in C)."""

    file: str
    row: int
    column: str
    kind: str  # dropped | changed | doubtful
    code: str  # what kind of thing: platform-spelling, duplicate, date-unreadable ...
    message: str

    def format(self) -> str:
        return f"{self.file}:{self.row}:{self.column or '-'}: {self.kind}: {self.message}"


@dataclass
class SourceSummary:
    path: str
    kind: str
    rows: int
    sha256: str
    unmapped: list[str] = field(default_factory=list)  # columns no field reads


@dataclass
class ImportReport:
    """What one import read, made and noticed."""

    mapping: str
    sources: list[SourceSummary] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    accounts: int = 0
    departments_created: list[str] = field(default_factory=list)
    output: str = ""
    notes: list[str] = field(default_factory=list)  # about the whole import, not one row

    def counts(self) -> dict[str, int]:
        by_kind = Counter(issue.kind for issue in self.issues)
        return {
            "rows": sum(s.rows for s in self.sources),
            "accounts": self.accounts,
            "departments_created": len(self.departments_created),
            **{kind: by_kind.get(kind, 0) for kind in KINDS},
        }

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "version": 1,
            "mapping": self.mapping,
            "output": self.output or None,
            "sources": [
                {"path": s.path, "kind": s.kind, "rows": s.rows, "sha256": s.sha256, "unmapped_columns": s.unmapped}
                for s in self.sources
            ],
            "counts": self.counts(),
            "departments_created": self.departments_created,
            "notes": self.notes,
            "issues": self.issues,
        }
        return msgspec.json.format(msgspec.json.encode(document), indent=2).decode() + "\n"

    def to_text(self, limit: int = TEXT_LIMIT) -> str:
        lines = []
        shown: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        for issue in self.issues:
            if shown[issue.code] < limit:
                shown[issue.code] += 1
                lines.append(issue.format())
            else:
                hidden[issue.code] += 1
        lines += [f"... and {n} more {code} (--report FILE lists them all)" for code, n in sorted(hidden.items())]
        for source in self.sources:
            if source.unmapped:
                lines.append(f"{source.path}: columns no field reads: {', '.join(source.unmapped)}")
        lines += [f"note: {note}" for note in self.notes]
        counts = self.counts()
        rows = f"{counts['rows']} row(s) from {len(self.sources)} source(s)"
        made = f"{counts['accounts']} account(s), {counts['departments_created']} department(s)"
        tally = ", ".join(f"{counts[k]} {k}" for k in KINDS)
        lines.append(f"import: {rows} -> {made}; {tally}")
        return "\n".join(lines) + "\n"
