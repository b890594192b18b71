"""Policy packs: ``pack.yaml`` (name, version, description), ``extends`` and overrides.

A pack directory holds rule files and a ``pack.yaml`` (``schemas/pack.schema.json``). A pack
may ``extends`` another pack (a built-in one by name, or a directory relative to its
``pack.yaml``) and, in ``overrides``, change the severity of an inherited rule or disable
it with a reason; its own rule files add rules. Redefining an inherited rule id is an
error (a duplicate), never a silent shadowing: change it through ``overrides``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from engine.inputs import fields, schemas
from engine.inputs.diagnostics import Diagnostic, InputError, shown
from engine.inputs.sources import Source, display, read
from engine.policy import ir

PACK_FILES = ("pack.yaml", "pack.yml")

#: Whether a pack may reach outside its directory and the working directory (``extends`` a
#: path elsewhere, a rule file that is a link to elsewhere): ``smgov --allow-outside``.
_allow_outside = False


def set_allow_outside(allowed: bool) -> None:
    global _allow_outside
    _allow_outside = allowed


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    """``path`` (links resolved) is inside one of ``roots`` (resolved), or reaching outside is allowed."""
    resolved = path.resolve()
    return _allow_outside or any(resolved.is_relative_to(root.resolve()) for root in roots)


def outside_files(directories: Iterable[str | Path], suffixes: Sequence[str]) -> list[Diagnostic]:
    """A rule file of a policy directory that is a link to a file outside that directory (or a
    file inside a linked directory elsewhere): read only with ``--allow-outside``."""
    problems: list[Diagnostic] = []
    for raw in directories:
        directory = Path(raw)
        if _allow_outside or not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if path.suffix.lower() in suffixes and not _inside(path, [directory]):
                problems.append(
                    Diagnostic(
                        str(path),
                        message=f"a link to {display(path.resolve())}, outside the policy directory {raw}: "
                        "not read (smgov --allow-outside reads it)",
                    )
                )
    return problems


@dataclass(frozen=True)
class Override:
    rule_id: str
    severity: str | None
    disabled: bool
    reason: str
    file: str
    line: int
    col: int
    params: tuple[tuple[str, object], ...] = ()  # new parameter values (compiled in: policies.load)


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    description: str
    directory: str
    file: str
    extends: str | None = None
    overrides: tuple[Override, ...] = ()
    sha256: str = ""  # of the pack.yaml as read: it shapes the policy set, so it is an input of a report
    fields: tuple[fields.Declared, ...] = ()  # the fields it declares (``fields:``)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class RuleOrigin:
    """Where an effective rule came from, and what later packs changed in it."""

    pack: str  # pack name, or "" for a rule file outside any pack
    version: str
    file: str
    line: int
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disabled:
    rule_id: str
    pack: str  # the pack that disabled it
    reason: str
    file: str  # where it was disabled (the pack.yaml)
    line: int
    rule: ir.CompiledRule  # the rule as it was before it was disabled


@dataclass(frozen=True)
class Expansion:
    """Policy inputs with every extended pack first, in load order, and the packs read."""

    inputs: tuple[str, ...]
    packs: tuple[Pack, ...]


def pack_file(directory: Path) -> Path | None:
    return next((directory / n for n in PACK_FILES if (directory / n).is_file()), None)


def _builtin(name: str) -> Path | None:
    candidate = schemas.data_dir("policies") / name
    return candidate if pack_file(candidate) else None


def read_pack(directory: Path) -> tuple[Pack | None, list[Diagnostic]]:
    """Read and check one ``pack.yaml``."""
    path = pack_file(directory)
    assert path is not None
    source = read(path)
    if isinstance(source, Diagnostic):
        return None, [source]
    if not isinstance(source.data, dict):
        return None, [Diagnostic(source.path, 1, 1, "pack.yaml must be a mapping with name, version and description")]
    problems = schemas.problems("pack", source)
    overrides = _overrides(source, problems)
    declared, bad = fields.declarations(source)
    problems.extend(bad)
    if problems:
        return None, problems
    data = source.data
    return (
        Pack(
            name=data["name"],
            version=str(data["version"]),
            description=" ".join(str(data["description"]).split()),
            directory=display(directory.resolve()),
            file=source.path,
            extends=data.get("extends"),
            overrides=overrides,
            sha256=source.sha256,
            fields=tuple(declared),
        ),
        [],
    )


def _overrides(source: Source, problems: list[Diagnostic]) -> tuple[Override, ...]:
    raw = source.data.get("overrides") or {}
    out: list[Override] = []
    if not isinstance(raw, dict):
        return ()
    for rule_id, spec in raw.items():
        line, col = source.positions.locate(("overrides", rule_id))
        if not isinstance(spec, dict):
            continue
        disabled = spec.get("disabled") is True
        reason = spec.get("reason", "")
        if disabled and not (isinstance(reason, str) and reason.strip()):
            problems.append(
                Diagnostic(source.path, line, col, "disabling a rule needs a reason", f"overrides.{rule_id}")
            )
        if disabled and ("severity" in spec or "params" in spec):
            problems.append(
                Diagnostic(
                    source.path,
                    line,
                    col,
                    "a disabled rule cannot also change severity or parameters",
                    f"overrides.{rule_id}",
                )
            )
        params = spec.get("params") if isinstance(spec.get("params"), dict) else {}
        if params and not (isinstance(reason, str) and reason.strip()):
            problems.append(
                Diagnostic(
                    source.path, line, col, "changing a rule's parameters needs a reason", f"overrides.{rule_id}"
                )
            )
        out.append(
            Override(
                str(rule_id),
                spec.get("severity"),
                disabled,
                str(reason or ""),
                source.path,
                line,
                col,
                tuple(params.items()),
            )
        )
    return tuple(out)


def _builtin_name(name: str, parent: Path) -> bool:
    """``extends: NAME`` named the built-in pack ``parent`` (a plain name, never a path)."""
    plain = "/" not in name and "\\" not in name and not name.startswith(".")
    return plain and parent == _builtin(name)


def _parent_dir(pack: Pack, source_dir: Path) -> Path | None:
    assert pack.extends is not None
    name = pack.extends
    if "/" not in name and "\\" not in name and not name.startswith("."):
        builtin = _builtin(name)
        if builtin is not None:
            return builtin
    candidate = (source_dir / name).resolve()
    return candidate if pack_file(candidate) else None


def expand_packs(paths: Iterable[str | Path]) -> tuple[Expansion, list[Diagnostic]]:
    """Put every extended pack before the pack extending it, each pack once."""
    inputs: list[str] = []
    packs: list[Pack] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()

    def visit(directory: Path, chain: tuple[Path, ...], given: str, roots: tuple[Path, ...]) -> None:
        key = directory.resolve()
        if key in chain:
            names = " -> ".join(display(p) for p in (*chain, key))
            problems.append(Diagnostic(given, 1, 1, f"packs extend each other in a cycle: {names}"))
            return
        if key in seen:
            return
        seen.add(key)
        pack, found = read_pack(directory)
        problems.extend(found)
        if pack is not None and pack.extends:
            parent = _parent_dir(pack, directory)
            if parent is None:
                source = read(Path(pack.file))
                line, col = source.positions.locate(("extends",)) if isinstance(source, Source) else (1, 1)
                builtins = sorted(p.name for p in schemas.data_dir("policies").iterdir() if pack_file(p))
                problems.append(
                    Diagnostic(
                        pack.file,
                        line,
                        col,
                        f"extends {pack.extends!r}: no such pack (a directory with pack.yaml, relative to this "
                        f"file, or a built-in pack: {', '.join(builtins)})",
                        "extends",
                    )
                )
            elif not _builtin_name(pack.extends, parent) and not _inside(parent, roots):
                source = read(Path(pack.file))
                line, col = source.positions.locate(("extends",)) if isinstance(source, Source) else (1, 1)
                problems.append(
                    Diagnostic(
                        pack.file,
                        line,
                        col,
                        f"extends {shown(pack.extends)}: {display(parent)} is outside this pack's directory and the "
                        "working directory: not read (smgov --allow-outside reads it)",
                        "extends",
                    )
                )
            else:
                visit(parent, (*chain, key), pack.file, roots)
        if pack is not None:
            packs.append(pack)
        inputs.append(display(key) if given != str(directory) else given)

    for raw in paths:
        path = Path(raw)
        if path.is_dir() and pack_file(path):
            visit(path, (), str(raw), (path, Path.cwd()))
        else:
            inputs.append(str(raw))
    return Expansion(tuple(inputs), tuple(packs)), problems


def _owner(file: str, packs: Sequence[Pack]) -> Pack | None:
    resolved = Path(file).resolve()
    best: Pack | None = None
    for pack in packs:
        directory = Path(pack.directory).resolve()
        if resolved.is_relative_to(directory) and (
            best is None or len(directory.parts) > len(Path(best.directory).resolve().parts)
        ):
            best = pack
    return best


def apply_overrides(
    rules: Sequence[ir.CompiledRule], packs: Sequence[Pack]
) -> tuple[tuple[ir.CompiledRule, ...], dict[str, RuleOrigin], tuple[Disabled, ...]]:
    """Apply every pack's overrides, parents first. Raises InputError for an override of a
    rule that no loaded pack defines."""
    by_id = {r.id: r for r in rules}
    origins: dict[str, RuleOrigin] = {}
    for rule in rules:
        owner = _owner(rule.file, packs)
        origins[rule.id] = RuleOrigin(owner.name if owner else "", owner.version if owner else "", rule.file, rule.line)
    disabled: dict[str, Disabled] = {}
    problems: list[Diagnostic] = []
    for pack in packs:
        for override in pack.overrides:
            rule = by_id.get(override.rule_id)
            where = f"overrides.{override.rule_id}"
            if rule is None:
                if override.rule_id in disabled:
                    message = f"rule {override.rule_id!r} is already disabled by pack {disabled[override.rule_id].pack}"
                else:
                    message = f"override of unknown rule {override.rule_id!r} (no loaded pack defines it)"
                problems.append(Diagnostic(override.file, override.line, override.col, message, where))
                continue
            why = f": {override.reason}" if override.reason else ""
            if override.disabled:
                del by_id[rule.id]
                disabled[rule.id] = Disabled(rule.id, pack.name, override.reason, override.file, override.line, rule)
                origins.pop(rule.id, None)
                continue
            if override.params:
                origin = origins[rule.id]
                defaults = dict(rule.param_defaults)
                shown = ", ".join(f"{name} {defaults.get(name)} -> {value}" for name, value in override.params)
                origins[rule.id] = replace(origin, changes=(*origin.changes, f"params {shown} by {pack.label}{why}"))
            if override.severity and override.severity != rule.severity:
                origin = origins[rule.id]
                change = f"severity {rule.severity} -> {override.severity} by {pack.label}{why}"
                origins[rule.id] = replace(origin, changes=(*origin.changes, change))
                by_id[rule.id] = replace(rule, severity=override.severity)
    if problems:
        raise InputError(problems)
    effective = tuple(by_id[r.id] for r in rules if r.id in by_id)
    return effective, origins, tuple(disabled.values())


def describe(origin: RuleOrigin) -> str:
    """``baseline 1.0.0 (policies/baseline/boundary.yaml:12); severity high -> medium by acme 1.0``"""
    where = f"{origin.file}:{origin.line}"
    head = f"{origin.pack} {origin.version} ({where})" if origin.pack else where
    return "; ".join([head, *origin.changes])


def params_text(rule: ir.CompiledRule) -> str:
    """`` [min_share=0.8]``: a rule's parameters in force, as ``smgov rules`` lists them."""
    return f" [{', '.join(f'{k}={v}' for k, v in rule.params)}]" if rule.params else ""
