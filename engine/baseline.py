"""Baselines: ``smgov check --baseline FILE`` fails only on findings that are not in it.

A baseline is a file written by ``--write-baseline`` (``schemas/baseline.schema.json``) or
any JSON report. Findings match by fingerprint, computed from rule, subject kind and
subject id, never from the file or the line: moving an item in the inventory neither
resurrects an accepted finding nor hides a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, InputError
from engine.findings import Finding, fingerprint
from engine.jsontext import dumps
from engine.sources import read

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Baseline:
    file: str
    fingerprints: frozenset[str]


@dataclass(frozen=True)
class BaselineResult:
    """How the current findings compare with the baseline."""

    file: str
    new: int  # findings not in the baseline: the only ones that can fail the run
    existing: int  # findings already in the baseline
    resolved: int  # baseline findings no longer found
    known: frozenset[str]

    def is_new(self, finding: Finding) -> bool:
        return finding.fingerprint not in self.known


def load(path: str | Path) -> Baseline:
    """Read a baseline (or a JSON report). Raises InputError with the problems."""
    source = read(Path(path))
    if isinstance(source, Diagnostic):
        raise InputError([source])
    data = source.data
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InputError(
            [Diagnostic(source.path, 1, 1, "not a baseline: expected a JSON object with a 'findings' list")]
        )
    problems: list[Diagnostic] = []
    prints: set[str] = set()
    for index, item in enumerate(data["findings"]):
        subject = item.get("subject") if isinstance(item, dict) else None
        rule = item.get("rule_id") if isinstance(item, dict) else None
        if not (
            isinstance(rule, str)
            and isinstance(subject, dict)
            and all(isinstance(subject.get(k), str) for k in ("kind", "id"))
        ):
            line, col = source.positions.locate(("findings", index))
            problems.append(
                Diagnostic(
                    source.path,
                    line,
                    col,
                    "a baseline finding needs rule_id and subject.kind, subject.id",
                    f"findings[{index}]",
                )
            )
            continue
        prints.add(fingerprint(rule, subject["kind"], subject["id"]))
    if problems:
        raise InputError(problems)
    return Baseline(source.path, frozenset(prints))


def compare(baseline: Baseline, found: Iterable[Finding]) -> BaselineResult:
    current = {f.fingerprint for f in found}
    return BaselineResult(
        file=baseline.file,
        new=len(current - baseline.fingerprints),
        existing=len(current & baseline.fingerprints),
        resolved=len(baseline.fingerprints - current),
        known=baseline.fingerprints,
    )


def render(found: Iterable[Finding], as_of: str, tool_version: str) -> str:
    """The baseline file for the findings that are not waived (a waiver has its own expiry)."""
    data: dict[str, Any] = {
        "baseline_version": BASELINE_VERSION,
        "tool": {"name": "smgov", "version": tool_version},
        "as_of": as_of,
        "findings": [
            {
                "fingerprint": f.fingerprint,
                "rule_id": f.rule_id,
                "severity": f.severity,
                "subject": {"kind": f.subject_kind, "id": f.subject_id},
                "message": f.message,
            }
            for f in sorted(found, key=lambda f: (f.rule_id, f.subject_kind, f.subject_id))
            if not f.waived
        ],
    }
    return dumps(data) + "\n"
