"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

- every rule of the run once in ``tool.driver.rules``: name, short and full description,
  help (the remediation), default level, and properties lever, stage, severity, scope;
- every finding a result: ``ruleId`` and ``ruleIndex``, ``level`` from the severity
  (critical/high → error, medium → warning, low/info → note: not everything is an error),
  the inventory file and line, and ``partialFingerprints`` from the finding's fingerprint
  (rule, subject kind and id; never the file or line, so moving a record keeps the alert);
- a rule not assessed (it reads fields the inventory did not record) or applied to no subject
  is a ``toolExecutionNotifications`` entry of the run's invocation, tied to the rule
  (``associatedRule``), with its status (and the missing fields) in the rule's properties;
- a waived finding carries ``suppressions`` (kind external, status accepted, the reason),
  so code scanning shows it as dismissed rather than open;
- for GitHub code scanning: the tool's ``informationUri``, each built-in rule's ``helpUri``
  (its entry in ``docs/rules.md``), ``security-severity`` from the severity (critical 9.5,
  high 7.5, medium 5.0, low 3.0: GitHub's bands >= 9.0, 7.0-8.9, 4.0-6.9, 0.1-3.9) with the
  ``security`` tag GitHub requires to show it (info: 0.0, no tag), and, given a ``root``
  (``--sarif-root``, by default the git repository's top), every file as a URI relative to
  ``%SRCROOT%`` with ``originalUriBaseIds`` saying where that was, so a report uploaded from
  any directory points into the repository.

Validated against the official schema in ``tests/schemas/sarif-schema-2.1.0.json``.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from engine import DOCS_URL
from engine.evaluate.findings import Finding
from engine.evaluate.messages import show
from engine.report.model import Report, RuleOutcome
from engine.report.output import json_text
from engine.report.render.common import (
    NOT_APPLICABLE_TEXT,
    needs_text,
    not_applicable,
    not_assessed,
    visible,
    waiver,
    waiver_reason,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "smgovFindingId/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: GitHub sorts and filters alerts of rules tagged "security" by this (CVSS-like, 0.0-10.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "7.5", "medium": "5.0", "low": "3.0", "info": "0.0"}


def _name(title: str) -> str:
    """A rule's title as an identifier-like name (SARIF: 'understandable to an end user')."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title)) or "Rule"


SRCROOT = "%SRCROOT%"


@lru_cache(maxsize=1024)  # a report names a few files, each in many findings
def _uri(path: str) -> str:
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return "file://" + quote(str(posix))
    return quote(str(posix))


@lru_cache(maxsize=1024)
def _located(path: str, root: str | None, cwd: str | None) -> dict[str, str]:
    """A finding's file as an ``artifactLocation``: relative to ``%SRCROOT%`` (``root``) when it
    is inside it; else as before (relative to the working directory, or absolute)."""
    if root is None:
        return {"uri": _uri(path)}
    full = os.path.normpath(os.path.join(cwd or root, path))
    inside = os.path.relpath(full, root)
    if inside.startswith(".."):
        return {"uri": _uri(full)}
    return {"uri": _uri(inside), "uriBaseId": SRCROOT}


def _slug(text: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading."""
    return "".join(c for c in text.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _help_uri(rule: RuleOutcome) -> str | None:
    """A built-in rule's entry in docs/rules.md (a pack's own rules have no published page)."""
    parts = PurePosixPath(rule.file.replace("\\", "/")).parts
    if len(parts) < 2 or parts[-2:-1] != ("baseline",) or "policies" not in parts:
        return None
    return f"{DOCS_URL}docs/rules.md#{_slug(f'{rule.id}: {rule.title}')}"


def _rule(rule: RuleOutcome, remediation: str) -> dict[str, Any]:
    help_text = remediation or "See the rule's policy file."
    security = ["security"] if rule.severity != "info" else []
    help_uri = _help_uri(rule)
    return {
        "id": rule.id,
        **({"helpUri": help_uri} if help_uri else {}),
        "name": _name(rule.title),
        "shortDescription": {"text": visible(rule.title)},
        "fullDescription": {"text": visible(rule.description or rule.title)},
        "help": {"text": visible(f"How to fix: {help_text}")},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "lever": rule.lever,
            "stage": rule.stage,
            "severity": rule.severity,
            "scope": rule.scope,
            "status": rule.status,
            **({"missing": list(rule.missing)} if rule.missing else {}),
            "references": list(rule.references),
            **({"frameworks": list(rule.frameworks)} if rule.frameworks else {}),
            "tags": [*security, "governance", "social-media", rule.lever, rule.stage, *rule.frameworks],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
            "problem.severity": LEVELS[rule.severity] if rule.severity != "info" else "recommendation",
        },
    }


def _result(
    f: Finding, index: int, baseline: Any = None, remediation: str | None = None, where: tuple[Any, Any] = (None, None)
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": LEVELS[f.severity],
        "message": {"text": visible(f.message)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _located(f.location.file, *where),
                    "region": {"startLine": max(1, f.location.line), "startColumn": max(1, f.location.col)},
                },
                "logicalLocations": [
                    {"name": visible(f.subject_id), "fullyQualifiedName": visible(f"{f.subject_kind}/{f.subject_id}")}
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "lever": f.lever,
            "stage": f.stage,
            "severity": f.severity,
            "subject": {"kind": f.subject_kind, "id": visible(f.subject_id), "departments": list(f.departments)},
            **({"members": [visible(m) for m in f.members]} if f.members else {}),
            "evidence": [{"field": e.label, "value": visible(show(e.value))} for e in f.evidence],
            "remediation": visible(f.remediation) if remediation is None else remediation,
        },
    }
    if baseline is not None:  # --baseline: new findings versus those already in it
        result["baselineState"] = "new" if baseline.is_new(f) else "unchanged"
    if waiver(f):
        suppression: dict[str, Any] = {"kind": "external", "status": "accepted"}
        if waiver_reason(f):
            suppression["justification"] = visible(waiver_reason(f))
        result["suppressions"] = [suppression]
    return result


def _invocation(report: Report, index: dict[str, int]) -> dict[str, Any]:
    """The run itself: a rule not assessed or applied to no subject is a notification (a note
    on the run, tied to the rule), never a result: it found nothing, and it passed nothing."""
    notes = [
        {
            "descriptor": {"id": "smgov/not-assessed"},
            "associatedRule": {"id": r.id, "index": index[r.id]},
            "level": "note",
            "message": {"text": visible(f"{r.id} not assessed: {needs_text(r)}")},
            "properties": {"status": r.status, "missing": list(r.missing)},
        }
        for r in not_assessed(report)
    ]
    notes += [
        {
            "descriptor": {"id": "smgov/not-applicable"},
            "associatedRule": {"id": r.id, "index": index[r.id]},
            "level": "note",
            "message": {"text": f"{r.id} applied to no subject: {NOT_APPLICABLE_TEXT}"},
            "properties": {"status": r.status},
        }
        for r in not_applicable(report)
    ]
    return {"executionSuccessful": True, "toolExecutionNotifications": notes}


def to_sarif(report: Report, root: str | None = None, cwd: str | None = None) -> dict[str, Any]:
    """The SARIF log of ``report``; ``root``: the absolute directory URIs are relative to
    (``%SRCROOT%``), ``cwd``: the directory the report's relative paths start from."""
    remediation = {f.rule_id: f.remediation for f in report.findings}
    rules = [_rule(r, r.remediation or remediation.get(r.id, "")) for r in report.rules]
    index = {r.id: i for i, r in enumerate(report.rules)}
    shown = {rule_id: visible(text) for rule_id, text in remediation.items()}  # each rule's, made once
    a = report.assessment
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "smgov",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": DOCS_URL,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report, index)],
        "automationDetails": {"id": f"smgov/{report.organisation.get('id')}/"},
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(f, index[f.rule_id], getattr(report, "baseline", None), shown[f.rule_id], (root, cwd))
            for f in report.findings
        ],
        "properties": {
            "as_of": report.as_of,
            "engine": report.engine,
            "organisation": report.organisation,
            "stage": a.organisation.stage,
            "target": a.target.stage,
        },
    }
    if root is not None:
        base = PurePosixPath(root.replace("\\", "/")).as_posix().rstrip("/") + "/"
        run["originalUriBaseIds"] = {SRCROOT: {"uri": "file://" + quote(base if base.startswith("/") else "/" + base)}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, root: str | None = None, cwd: str | None = None) -> str:
    """The SARIF text (see ``to_sarif``); the registry calls it with the report alone."""
    return json_text(to_sarif(report, root, cwd)) + "\n"
