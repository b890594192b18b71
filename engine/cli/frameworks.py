"""``smgov rules --framework NAME``: the requirements of one framework, and with an inventory
whether each passed.

A rule names the frameworks it implements in ``frameworks`` (``FINRA Rule 2210``, ``SEC Rule
17a-4``); NAME matches a framework equal to it or beginning with it as whole words, compared
case- and form-insensitively (``finra`` lists every FINRA rule, ``FINRA Rule 2210`` one rule).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import click

from engine import pipeline
from engine.cli.common import _emit
from engine.evaluate.derive import fold
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.schemas import data_dir
from engine.policy import ir, policies


def options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the framework view, added to ``smgov rules``."""
    command = click.option(
        "--as-of", "framework_as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --inventory: date."
    )(command)
    command = click.option(
        "--inventory",
        "framework_inventory",
        multiple=True,
        type=click.Path(exists=True),
        help="With --framework: check this inventory (repeatable, one organisation) and say whether each passed.",
    )(command)
    return click.option(
        "--framework", help="List only the rules of this framework (e.g. 'FINRA', 'FINRA Rule 2210', 'GDPR')."
    )(command)


def matches(name: str, frameworks: tuple[str, ...]) -> bool:
    wanted = " ".join(fold(name).split())
    return any((f := " ".join(fold(x).split())) == wanted or f.startswith(wanted + " ") for x in frameworks)


def bundled_packs_with(name: str) -> list[str]:
    """The bundled packs (``policies/NAME``) with a rule of the framework ``name``."""
    root = data_dir("policies")
    found = []
    for pack in sorted(p for p in root.iterdir() if (p / "pack.yaml").is_file()):
        try:
            rules = policies.load([pack]).rules
        except InputError:  # pragma: no cover - the bundled packs are valid (their tests say so)
            continue
        if any(matches(name, r.frameworks) for r in rules):
            found.append(f"policies/{pack.name}")
    return found


def known(rules: tuple[ir.CompiledRule, ...]) -> list[str]:
    return sorted({f for r in rules for f in r.frameworks}, key=fold)


def show(
    policy_dirs: tuple[str, ...], name: str, inventory: tuple[str, ...], as_of: dt.datetime | None, fmt: str
) -> None:
    loaded = policies.load(list(policy_dirs) or pipeline.default_policies())
    chosen = [r for r in loaded.rules if matches(name, r.frameworks)]
    if not chosen:
        names = ", ".join(known(loaded.rules)) or "none"
        message = f"no loaded rule implements the framework {name!r} (frameworks named: {names})"
        packs = bundled_packs_with(name)
        if packs:
            message += "; " + ", ".join(f"--policies {p}" for p in packs) + " would load rules that do"
        raise InputError([Diagnostic("<arguments>", 0, 0, message, "--framework")])
    status: dict[str, tuple[str, int]] = {}
    where = ""
    if inventory:
        options = pipeline.CheckOptions(
            inventory=inventory, policies=policy_dirs, as_of=as_of.date() if as_of else None
        )
        report = pipeline.run_check(options)
        where = f" in {report.organisation.get('name') or report.organisation.get('id')} as of {report.as_of}"
        for outcome in report.rules:
            state = "failed" if outcome.failed else ("passed" if outcome.applied else "not applicable")
            if outcome.status == "not_assessed":  # it reads fields the inventory did not record
                state = "not assessed"
            status[outcome.id] = (state, outcome.failed)
    rows = [
        {
            **rule_fields(r),
            "frameworks": list(r.frameworks),
            "references": list(r.references),
            **({"status": status[r.id][0], "findings": status[r.id][1]} if r.id in status else {}),
        }
        for r in chosen
    ]
    if fmt == "json":
        _emit(json.dumps(rows, indent=2) + "\n", None)
        return
    lines = [f"{name}: {len(rows)} requirement{'s' if len(rows) != 1 else ''}{where}"]
    for row in rows:
        state = ""
        if "status" in row:
            state = f"{row['status']}" + (f" ({row['findings']})" if row["findings"] else "")
            state = f"{state:<16} "
        lines.append(f"{row['id']:<14} {row['severity']:<8} {state}{row['title']}")
        lines.append(f"{'':<14} {', '.join(row['frameworks'])}: {'; '.join(row['references'])}")
    if status:
        failed = sum(1 for row in rows if row.get("status") == "failed")
        passed = sum(1 for row in rows if row.get("status") == "passed")
        unassessed = sum(1 for row in rows if row.get("status") == "not assessed")
        rest = len(rows) - passed - failed - unassessed
        lines.append(
            f"{passed} passed, {failed} failed, {rest} not applicable"
            + (f", {unassessed} not assessed" if unassessed else "")
        )
    _emit("\n".join(lines) + "\n", None)


def rule_fields(rule: Any) -> dict[str, Any]:
    """What ``smgov rules --format json`` says of every rule: id, title, lever, stage,
    severity, scope and where it is written."""
    names = ("id", "title", "lever", "stage", "severity", "scope", "file", "line")
    return {name: getattr(rule, name) for name in names}
