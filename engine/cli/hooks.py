"""`smgov hook …`: the pre-commit hooks (``.pre-commit-hooks.yaml``).

pre-commit passes the changed files (``pass_filenames``); a file is rarely checkable alone (an
inventory is a directory merged into one organisation, a rule file belongs to a pack that may
override it), so each file is taken to the unit it belongs to and every unit is checked whole:

* a file inside a pack (a directory with ``pack.yaml``, its ``tests/`` included): the pack;
* a policy file outside a pack (a top-level ``rules`` list): that file;
* an inventory file (``organisation``, ``governance`` or a collection at the top): with the
  inventory files beside it in its directory (a directory is one organisation);
* any other file (a CI workflow, a ``package.json``): skipped and counted, never an error.

A unit with a problem fails the hook (exit 2, every problem with ``file:line:col``); files the
hook does not recognise never make it pass silently either: it says how many it checked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine import pipeline
from engine.cli.common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, guarded
from engine.inputs.diagnostics import InputError
from engine.inputs.sources import read_all
from engine.vocabulary import KIND_OF

SUFFIXES = (".yaml", ".yml", ".json")
INVENTORY_KEYS = frozenset({"organisation", "governance", *KIND_OF})


def _pack_of(file: Path) -> Path | None:
    """The nearest directory above ``file`` holding ``pack.yaml`` (the file's own included)."""
    for directory in file.resolve().parents:
        if (directory / "pack.yaml").is_file():
            return directory
        if (directory / ".git").exists():
            return None
    return None


def _kind(file: Path) -> str | None:
    """``policy``, ``inventory`` or None (not an smgov input), by the file's top-level keys. A
    file that does not parse is taken as an inventory, so that its error is reported."""
    sources, problems = read_all([file])
    if problems:
        return "inventory"
    data = sources[0].data
    if not isinstance(data, dict):
        return None
    if INVENTORY_KEYS & data.keys():
        return "inventory"
    return "policy" if "rules" in data else None


def units(files: tuple[str, ...]) -> tuple[list[Path], list[tuple[Path, ...]], list[str]]:
    """The packs (or lone policy files), the inventories (their files) and the skipped files."""
    packs: dict[Path, None] = {}
    inventories: dict[Path, tuple[Path, ...]] = {}
    skipped: list[str] = []
    for name in files:
        file = Path(name)
        if file.suffix.lower() not in SUFFIXES or not file.is_file():
            skipped.append(name)
            continue
        pack = _pack_of(file)
        kind = None if pack else _kind(file)
        if pack or kind == "policy":
            packs.setdefault(pack or file, None)
        elif kind == "inventory" and file.parent.resolve() not in inventories:
            siblings = sorted(p for p in file.parent.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            inventories[file.parent.resolve()] = tuple(p for p in siblings if p == file or _kind(p) == "inventory")
        elif kind is None:
            skipped.append(name)
    return list(packs), list(inventories.values()), skipped


@click.group("hook", hidden=True)
def hook() -> None:
    """The pre-commit hooks: check the packs and inventories the changed files belong to."""


def _counts(packs: list, inventories: list, skipped: list) -> str:
    return f"{len(packs)} policy pack(s), {len(inventories)} inventory(ies); {len(skipped)} other file(s) skipped"


@hook.command("validate")
@click.argument("files", nargs=-1, type=click.Path())
@guarded
def validate_hook(files: tuple[str, ...]) -> None:
    """Validate the packs and inventories FILES belong to (exit 2 on any problem)."""
    from engine.inputs import inventory
    from engine.policy import policies

    packs, inventories, skipped = units(files)
    problems = []
    for pack in packs:
        try:
            policies.load([pack])
        except InputError as exc:
            problems.extend(exc.diagnostics)
    for files_of_one in inventories:
        sources, unread = pipeline.read_inventory(files_of_one)
        problems.extend(unread or inventory.check(sources))
    if problems:
        raise InputError(problems)
    click.echo(f"ok: validated {_counts(packs, inventories, skipped)}")


@hook.command("policy-test")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--min-coverage", type=float, default=0, show_default=True)
@click.pass_context
@guarded
def policy_test_hook(ctx: click.Context, files: tuple[str, ...], min_coverage: float) -> None:
    """Run the test cases of the packs FILES belong to (exit 1 when a case fails)."""
    from engine.cli.policy import test_policies

    packs, _, _ = units(files)
    worst = EXIT_OK
    for pack in packs:
        if not pack.is_dir():
            continue  # a lone policy file has no tests beside it
        try:
            ctx.invoke(test_policies, paths=(str(pack),), min_coverage=min_coverage, engine="native")
        except SystemExit as exc:
            worst = max(worst, int(exc.code or 0))
    click.echo(f"tested {sum(1 for p in packs if p.is_dir())} policy pack(s)")
    sys.exit(worst)


@hook.command("check")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(), help="As for smgov check.")
@click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False), help="As for smgov check.")
@click.option("--fail-on", default="high", show_default=True, help="As for smgov check.")
@click.pass_context
@guarded
def check_hook(
    ctx: click.Context, files: tuple[str, ...], policy_dirs: tuple[str, ...], waivers_file: str | None, fail_on: str
) -> None:
    """Check each inventory FILES belong to (exit 1 on a finding at or above --fail-on)."""
    from engine.cli.app import check

    _, inventories, _ = units(files)
    worst = EXIT_OK
    for files_of_one in inventories:
        try:
            ctx.invoke(
                check,
                paths=tuple(map(str, files_of_one)),
                policy_dirs=policy_dirs,
                waivers_file=waivers_file,
                fail_on=fail_on,
            )
        except SystemExit as exc:
            worst = max(worst, int(exc.code or 0))
    sys.exit(worst if worst in (EXIT_OK, EXIT_FINDINGS, EXIT_INPUT) else EXIT_INPUT)
