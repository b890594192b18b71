"""``smgov rules``: the rules in force, where each comes from, and one framework's requirements."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from engine import pipeline
from engine.cli import frameworks
from engine.cli.common import POLICIES, _emit, guarded
from engine.policy import policies
from engine.policy.packs import describe as describe_origin
from engine.policy.packs import params_text


@click.command("rules")
@POLICIES
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@frameworks.options
@guarded
def list_rules(policy_dirs: tuple[str, ...], fmt: str, framework: str | None, **check: Any) -> None:
    """List the loaded rules with lever, stage, severity, scope, origin and parameters in force:
    the pack each rule comes from and what a pack extending it changed (severity, parameters),
    then the rules a pack disabled, with the reason.

    \b
    Example:
      smgov rules --policies policies/baseline
      smgov rules --policies policies/financial-services --framework FINRA --inventory examples/packs/bank
    """
    if framework:  # one framework's requirements, and with --inventory whether each passed
        return frameworks.show(policy_dirs, framework, check["framework_inventory"], check["framework_as_of"], fmt)
    loaded = policies.load(list(policy_dirs) or pipeline.default_policies())
    origins = dict(loaded.origins)
    if fmt == "json":
        rows = [
            {
                **frameworks.rule_fields(r),
                **({"params": dict(r.params)} if r.params else {}),
                **({"frameworks": list(r.frameworks)} if r.frameworks else {}),
                **({"origin": asdict(origins[r.id])} if r.id in origins else {}),
            }
            for r in loaded.rules
        ]
        rows += [
            {
                "id": d.rule_id,
                "title": d.rule.title,
                "lever": d.rule.lever,
                "stage": d.rule.stage,
                "severity": d.rule.severity,
                "scope": d.rule.scope,
                "file": d.rule.file,
                "line": d.rule.line,
                "disabled": {"pack": d.pack, "reason": d.reason, "file": d.file, "line": d.line},
            }
            for d in loaded.disabled
        ]
        _emit(json.dumps(rows, indent=2) + "\n", None)
        return
    lines = []
    for r in loaded.rules:
        origin = origins.get(r.id)
        pack = f"{origin.pack}{'*' if origin.changes else ''}" if origin and origin.pack else Path(r.file).name
        line = f"{r.id:<14} {r.lever:<11} {r.stage:<14} {r.severity:<8} {r.scope:<12} {pack:<12} {r.title}"
        lines.append(line + params_text(r))
    changed = [(r.id, origins[r.id]) for r in loaded.rules if r.id in origins and origins[r.id].changes]
    lines += [f"* {rule_id}: from {describe_origin(origin)}" for rule_id, origin in changed]
    lines += [f"disabled {d.rule_id} by {d.pack} ({d.file}:{d.line}): {d.reason}" for d in loaded.disabled]
    packs = f" in {', '.join(p.label for p in loaded.packs)}" if loaded.packs else ""
    lines.append(f"{len(loaded.rules)} rules from {len(loaded.sources)} file(s){packs}")
    _emit("\n".join(lines) + "\n", None)
