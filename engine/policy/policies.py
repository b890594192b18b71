"""The compile step: policy files -> checked, compiled rules (``PolicySet``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.inputs import fields, schemas
from engine.inputs.diagnostics import Diagnostic, InputError, dotted
from engine.inputs.sources import SUFFIXES, Source, discover, read_all
from engine.policy import ir, peers, stages
from engine.policy.conditions import CompileError, Context, parse, resolve
from engine.policy.packs import (
    Disabled,
    Override,
    Pack,
    RuleOrigin,
    apply_overrides,
    expand_packs,
    outside_files,
    pack_file,
)

#: Files in a pack directory that are not rule files.
NOT_RULES = ("pack.yaml", "pack.yml", "stages.yaml", "stages.yml", "peers.yaml", "peers.yml")
_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class PolicySet:
    """Every rule loaded, compiled, in load order, with the files they came from, and the
    stage ladder they are assessed on (a pack's ``stages.yaml``, or the bundled one)."""

    rules: tuple[ir.CompiledRule, ...]
    sources: tuple[Source, ...]
    ladder: stages.Ladder = field(default_factory=stages.default_ladder)
    packs: tuple[Pack, ...] = ()  # the packs loaded, each extended pack before its extender
    origins: tuple[tuple[str, RuleOrigin], ...] = ()  # rule id -> where it came from
    disabled: tuple[Disabled, ...] = ()  # rules a pack disabled, with the reason
    declared: tuple[fields.Declared, ...] = ()  # fields the packs (or the inventory) declare
    schema: str = "inventory"  # the inventory schema the rules were typed by (with ``declared``)
    peers: peers.Peers = field(default_factory=peers.Peers)  # peer context (peers.yaml), not a pass mark

    @property
    def stages(self) -> tuple[str, ...]:
        """The stage ids, lowest first."""
        return self.ladder.ids

    def rule(self, rule_id: str) -> ir.CompiledRule:
        return next(r for r in self.rules if r.id == rule_id)


def skip_non_rules(relative: Path) -> bool:
    """Inside a pack directory: test cases and pack metadata are not rule files."""
    return relative.name in NOT_RULES or "tests" in relative.parts[:-1]


def template_fields(message: str) -> Iterator[str | None]:
    """Each ``{path}`` of a message template; ``None`` for a stray brace."""
    for match in _TEMPLATE.finditer(message):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        yield match.group(1) if token.startswith("{") and token.endswith("}") and len(token) > 1 else None


_PARAM_TEXT = re.compile(r"\{params\.([a-z][a-z0-9_]*)\}")


def _param_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _params(
    raw: dict[str, Any], overrides: Sequence[Override], report: Callable[[str, tuple[Any, ...]], None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule's declared parameters and the values in force (later packs' overrides win);
    an override of an undeclared parameter, or of another type, is an error at the override."""
    declared = dict(raw.get("params") or {})
    values = dict(declared)
    for override in overrides:
        for name, value in override.params:
            where = f"{override.file}:{override.line}:{override.col}"
            if name not in declared:
                known = ", ".join(declared) or "none"
                report(f"{where}: rule {raw['id']} has no parameter {name!r} (parameters: {known})", ("params",))
            elif type(value) is not type(declared[name]) and not (
                isinstance(value, (int, float))
                and isinstance(declared[name], (int, float))
                and not isinstance(value, bool)
                and not isinstance(declared[name], bool)
            ):
                report(f"{where}: parameter {name!r} of rule {raw['id']} must be like {declared[name]!r}", ("params",))
            else:
                values[name] = value
    return declared, values


def _substitute(node: Any, values: dict[str, Any], where: tuple[Any, ...], report: Callable[..., None]) -> Any:
    """``{param: NAME}`` anywhere in a condition -> the parameter's value (a compile-time
    constant: both evaluators see a literal)."""
    if isinstance(node, dict):
        if set(node) == {"param"}:
            name = node["param"]
            if name in values:
                return values[name]
            report(f"unknown parameter {name!r} (parameters: {', '.join(values) or 'none'})", (*where, "param"))
            return node
        return {k: _substitute(v, values, (*where, k), report) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values, (*where, i), report) for i, v in enumerate(node)]
    return node


def _with_params(raw: dict[str, Any], values: dict[str, Any], report: Callable[..., None]) -> dict[str, Any]:
    """The rule with its parameters substituted in conditions and texts."""
    out = dict(raw)
    for key in ("when", "require"):
        if key in raw:
            out[key] = _substitute(raw[key], values, (key,), report)
    for key in ("title", "description", "message", "remediation"):
        if isinstance(raw.get(key), str):

            def text(match: re.Match[str], key: str = key) -> str:
                if match.group(1) in values:
                    return _param_text(values[match.group(1)])
                report(f"unknown parameter {match.group(1)!r} in {{params.{match.group(1)}}}", (key,))
                return match.group(0)

            out[key] = _PARAM_TEXT.sub(text, raw[key])
    return out


def _compile_rule(
    raw: dict[str, Any],
    index: int,
    source: Source,
    stage_ids: tuple[str, ...],
    schema: str = "inventory",
    overrides: Sequence[Override] = (),
) -> tuple[ir.CompiledRule | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []

    def report(message: str, where: tuple[Any, ...]) -> None:
        path = ("rules", index, *where)
        line, col = source.positions.locate(path)
        problems.append(Diagnostic(source.path, line, col, message, dotted(path)))

    declared, values = _params(raw, overrides, report)
    raw = _with_params(raw, values, report)

    scope = raw["scope"]
    if raw["stage"] not in stage_ids:
        report(f"unknown stage {raw['stage']!r} (stages: {', '.join(stage_ids)})", ("stage",))
    ctx = Context(scope, schema=schema)
    nodes: dict[str, ir.Node | None] = {"when": None}
    for key in ("when", "require"):
        if key in raw:
            try:
                nodes[key] = parse(raw[key], ctx, (key,))
            except CompileError as exc:
                report(exc.message, exc.where)
    for name in template_fields(raw["message"]):
        if name is None:
            report("unbalanced brace in message (write {{ or }} for a literal brace)", ("message",))
        elif name != "id" or scope == "organisation":
            try:
                resolve(name, ctx, ("message",))
            except CompileError as exc:
                report(f"message placeholder {{{name}}}: {exc.message}", ("message",))
    if problems:
        return None, problems
    line, _ = source.positions.locate(("rules", index))
    require = nodes["require"]
    assert require is not None
    rule = ir.CompiledRule(
        id=raw["id"],
        title=raw["title"],
        description=raw["description"],
        lever=raw["lever"],
        stage=raw["stage"],
        severity=raw["severity"],
        scope=scope,
        when=nodes["when"],
        require=require,
        message=raw["message"],
        remediation=raw["remediation"],
        references=tuple(raw["references"]),
        tags=tuple(raw.get("tags", ())),
        file=source.path,
        line=line,
        frameworks=tuple(raw.get("frameworks", ())),
        after=tuple(raw.get("after", ())),
        params=tuple(values.items()),
        param_defaults=tuple(declared.items()),
    )
    return rule, []


def _schema_problems(source: Source) -> list[Diagnostic]:
    """Schema problems outside conditions; the compiler explains conditions more precisely."""
    found = schemas.problems("policy", source)
    return [d for d in found if not re.match(r"^rules\[\d+\]\.(when|require)\b", d.path)]


def compile_sources(
    sources: Iterable[Source],
    ladder: stages.Ladder | None = None,
    declared: Iterable[fields.Declared] = (),
    overrides: Sequence[Override] = (),
) -> PolicySet:
    """Check and compile every rule of every policy file, with the ``declared`` fields in force
    and the packs' parameter ``overrides`` (in load order: later ones win). Raises InputError
    with all problems."""
    sources = tuple(sources)
    merged, problems = fields.merge(declared)
    schema = fields.schema_name(merged)
    ladder = ladder or stages.default_ladder()
    stage_ids = ladder.ids
    rules: list[ir.CompiledRule] = []
    first_seen: dict[str, ir.CompiledRule] = {}
    for source in sources:
        if not isinstance(source.data, dict):
            problems.append(Diagnostic(source.path, 1, 1, "a policy file must be a mapping with a 'rules' list"))
            continue
        schema_problems = _schema_problems(source)
        problems.extend(schema_problems)
        broken = {int(m.group(1)) for d in schema_problems if (m := re.match(r"^rules\[(\d+)\]", d.path))}
        raw_rules = source.data.get("rules")
        if not isinstance(raw_rules, list):
            continue
        for index, raw in enumerate(raw_rules):
            if index in broken or not isinstance(raw, dict):
                continue
            mine = [o for o in overrides if o.rule_id == raw.get("id")]
            rule, found = _compile_rule(raw, index, source, stage_ids, schema, mine)
            problems.extend(found)
            if rule is None:
                continue
            if rule.id in first_seen:
                other = first_seen[rule.id]
                line, col = source.positions.locate(("rules", index, "id"))
                problems.append(
                    Diagnostic(
                        source.path,
                        line,
                        col,
                        f"duplicate rule id {rule.id!r} (first defined at {other.file}:{other.line})",
                        f"rules[{index}].id",
                    )
                )
                continue
            first_seen[rule.id] = rule
            rules.append(rule)
    problems.extend(_after_itself(rules, sources))
    if not problems and not rules:
        where = ", ".join(s.path for s in sources) or "--policies"
        problems.append(Diagnostic(where, message="no rules loaded: at least one rule is needed to check anything"))
    if problems:
        raise InputError(problems)
    return PolicySet(rules=tuple(rules), sources=sources, ladder=ladder, declared=merged, schema=schema)


def _after_itself(rules: list[ir.CompiledRule], sources: tuple[Source, ...]) -> list[Diagnostic]:
    """A rule cannot come ``after`` itself (an error at its place). ``after`` may name a rule
    that is not loaded (a pack that takes only some of the baseline's rules): it then orders
    nothing, like a rule a pack disables."""
    by_file = {s.path: s for s in sources}
    out: list[Diagnostic] = []
    for rule in rules:
        for n, other in enumerate(rule.after):
            if other != rule.id:
                continue
            source = by_file[rule.file]
            index = next(
                i for i, raw in enumerate(source.data["rules"]) if isinstance(raw, dict) and raw.get("id") == rule.id
            )
            path = ("rules", index, "after", n)
            line, col = source.positions.locate(path)
            out.append(Diagnostic(source.path, line, col, f"rule {rule.id} cannot come after itself", dotted(path)))
    return out


def _is_pack(path: Path) -> bool:
    """A pack directory: one with a ``pack.yaml``, whether or not that file is valid."""
    return path.is_dir() and pack_file(path) is not None


def load(
    paths: Iterable[str | Path], ladder: stages.Ladder | None = None, declared: Iterable[fields.Declared] = ()
) -> PolicySet:
    """Find, read and compile policy files and directories, and the stage ladder they define
    (``stages.yaml`` at the top of a pack, or passed as a file) unless ``ladder`` is given.
    The fields the packs declare are in force, and ``declared`` (an inventory's) too."""
    expansion, problems = expand_packs(paths)
    paths = list(expansion.inputs)
    rule_paths = [
        p
        for p in paths
        if not ((stages.is_stage_file(Path(p)) or Path(p).name in peers.PEER_FILES) and Path(p).is_file())
    ]
    # a pack may only override what it extends: no rule files of its own is fine (even when its
    # pack.yaml has a problem, which is reported on its own)
    rule_paths = [p for p in rule_paths if not _is_pack(Path(p)) or discover([p], "policy", skip_non_rules)[0]]
    files, found = discover(rule_paths, "policy", skip_non_rules) if rule_paths else ([], [])
    problems.extend(found)
    refused = outside_files(rule_paths, SUFFIXES)  # links out of a policy directory
    problems.extend(refused)
    files = [f for f in files if f.resolve() not in {Path(d.file).resolve() for d in refused}]
    sources, read_problems = read_all(files)
    problems.extend(read_problems)
    if ladder is None:
        try:
            ladder = stages.load(paths)
        except InputError as exc:
            problems.extend(exc.diagnostics)
    dataset = peers.Peers()
    try:
        dataset = peers.load(paths)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    in_force = [*(d for pack in expansion.packs for d in pack.fields), *declared]
    param_overrides = [o for p in expansion.packs for o in p.overrides if o.params]
    compiled = compile_sources(sources, ladder, in_force, param_overrides)
    explicit = bool(stages.stage_files(paths))  # the bundled ladder's requirements bind only the rules loaded
    if not expansion.packs:
        if explicit:
            _check_requirements(compiled.ladder, compiled.rules, ())
        return replace(compiled, peers=dataset)
    rules, origins, disabled = apply_overrides(compiled.rules, expansion.packs)
    if explicit:
        _check_requirements(compiled.ladder, rules, disabled)
    return PolicySet(
        rules,
        compiled.sources,
        compiled.ladder,
        expansion.packs,
        tuple(origins.items()),
        disabled,
        compiled.declared,
        compiled.schema,
        dataset,
    )


def _check_requirements(ladder: stages.Ladder, rules: Iterable[ir.CompiledRule], disabled: Iterable[Disabled]) -> None:
    problems = stages.requirement_problems(ladder, {r.id: r.stage for r in rules}, (d.rule_id for d in disabled))
    if problems:
        raise InputError(problems)
