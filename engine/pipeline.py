"""The one place that sequences the steps: load -> validate -> compile -> evaluate -> assess -> render."""

from __future__ import annotations

import datetime as dt
import difflib
import gc
import hashlib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from engine import __version__
from engine.assess import coverage, maturity, peer_context, plan, waivers
from engine.evaluate import derive, findings
from engine.evaluate.evaluation import Evaluator, EvaluatorUnavailable
from engine.inputs import credentials, inventory, questionnaire
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.schemas import data_dir
from engine.inputs.sources import Source, discover, display, load_all, parse_all, read_all
from engine.policy import ir, policies
from engine.report import baseline, model

P = ParamSpec("P")
R = TypeVar("R")

#: Evaluators by name, as "module:function", imported only when chosen.
EVALUATORS: dict[str, str] = {
    "native": "engine.evaluate.native:evaluate",
    "durable": "engine.evaluate.durable:evaluate",
}


#: Evaluators that need an optional extra: the module they import and the extra to install.
NEEDS_EXTRA: dict[str, tuple[str, str]] = {"durable": ("durable_rules_engine", "durable")}


def unavailable(name: str) -> str | None:
    """Why evaluator ``name`` cannot run here (its extra is not installed or does not import), or None."""
    if name not in NEEDS_EXTRA:
        return None
    module, extra = NEEDS_EXTRA[name]
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return (
            f"--engine {name} needs the optional extra smgov[{extra}] ({exc}): "
            f"pip install 'smgov[{extra}]' (it compiles C: a C compiler is needed), or use --engine native"
        )
    return None


def evaluator(name: str) -> Evaluator:
    """The evaluate function of ``name``; EvaluatorUnavailable when its extra is not installed."""
    reason = unavailable(name)
    if reason:
        raise EvaluatorUnavailable(reason)
    module, _, function = EVALUATORS[name].partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def default_policies() -> list[Path]:
    return [data_dir("policies") / "baseline"]


@dataclass(frozen=True)
class CheckOptions:
    inventory: tuple[str, ...]
    policies: tuple[str, ...] = ()
    as_of: dt.date | None = None
    engine: str = "native"
    waivers: str | None = None  # a waivers file (schemas/waivers.schema.json)
    baseline: str | None = None  # a baseline or JSON report: findings in it are not new
    select: tuple[str, ...] = ()  # rule ids or tags: run only these rules (--select)
    skip: tuple[str, ...] = ()  # rule ids or tags: do not run these (--skip)
    questionnaire: str | None = None  # staff answers per department (schemas/questionnaire.schema.json)
    #: False: only what a portfolio keeps of a check (``engine.report.portfolio.UnitResult``):
    #: findings counted, not located in the files (``findings.UNLOCATED``: a YAML file is then
    #: read once, not twice), and the organisation assessed, not each department
    detail: bool = True


def read_inventory(
    paths: Sequence[str | Path], known: dict[Path, Source | Diagnostic] | None = None
) -> tuple[list[Source], list[Diagnostic]]:
    """Find and read the inventory files (not yet validated); ``known``: see ``read_all``."""
    files, problems = discover(paths, "inventory")
    sources, read_problems = read_all(files, known)
    return sources, [*problems, *read_problems]


def load_inventory(
    paths: Sequence[str | Path], known: dict[Path, Source | Diagnostic] | None = None
) -> inventory.Inventory:
    """Find, read, validate and merge inventory files. Raises InputError with every problem."""
    sources, problems = read_inventory(paths, known)
    if problems:
        raise InputError(problems)
    return inventory.build(sources)


def without_cyclic_gc(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the cyclic garbage collector paused (and restored after).

    A check builds millions of small, acyclic containers (the parsed inventory); the collector
    would walk all of them again and again for nothing: 20-40% of a 100k-account check.
    Reference counting still frees everything.
    """

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run


@dataclass(frozen=True)
class _Inputs:
    """Everything a check reads, loaded; the inventory not yet validated."""

    rules: policies.PolicySet
    sources: list[Source]
    waivers: tuple[waivers.Waiver, ...]
    known: baseline.Baseline | None
    survey: tuple[questionnaire.Questionnaire, Source] | None = None


@without_cyclic_gc
def run_check(options: CheckOptions, compiled: policies.PolicySet | None = None) -> model.Report:
    """The whole check. Raises InputError, before any result is used, if any input is bad:
    every input's problems, in the order the inputs are named, then the waivers' and the
    baseline's. ``compiled``: the policies already loaded (``smgov portfolio`` compiles them
    once per worker, not per organisation); ``options.policies`` is then not read."""
    evaluator(options.engine)  # an evaluator whose extra is missing: say so before reading anything
    problems: list[Diagnostic] = []
    rules = compiled
    if rules is None:
        try:
            rules = policies.load(list(options.policies) or default_policies())
        except InputError as exc:
            problems.extend(exc.diagnostics)
    files, found = discover(options.inventory, "inventory")
    raws, unreadable = load_all(files)
    problems.extend([*found, *unreadable])
    later: list[Diagnostic] = []  # the waivers' and the baseline's, after the inventory's
    accepted: tuple[waivers.Waiver, ...] = ()
    if options.waivers and rules is not None:  # waivers are checked against the rule ids
        try:
            accepted = waivers.load(options.waivers, rules)
        except InputError as exc:
            later.extend(exc.diagnostics)
    if rules is not None and (options.select or options.skip):  # after the waivers: they name any rule
        try:
            rules = chosen(rules, options.select, options.skip)
        except InputError as exc:
            later.extend(exc.diagnostics)
    known = None
    if options.baseline:
        try:
            known = baseline.load(options.baseline)
        except InputError as exc:
            later.extend(exc.diagnostics)
    survey = None
    if options.questionnaire:
        try:
            survey = questionnaire.load(options.questionnaire)
        except InputError as exc:
            later.extend(exc.diagnostics)
    sources, malformed = parse_all(raws)
    raws.clear()  # the bytes are parsed: free them
    problems.extend(malformed)
    if not (unreadable or found or malformed):
        problems.extend(inventory.check(sources, rules.declared if rules is not None else ()))
    problems.extend(later)
    if problems or rules is None:
        raise InputError(problems)
    as_of = options.as_of or dt.datetime.now(dt.UTC).date()  # a UTC calendar date, as waiver expiry is
    return _outcome(options, _Inputs(rules, sources, accepted, known, survey), as_of)


def _outcome(options: CheckOptions, inputs: _Inputs, as_of: dt.date) -> model.Report:
    """Evaluate, build the findings, assess and assemble the report (of a valid inventory)."""
    org = inventory.assemble(inputs.sources, inputs.rules.declared)
    if org is None:
        raise ValueError("the inventory files cannot be merged")  # only an invalid inventory gets here
    rules = inputs.rules
    target, _ = maturity.target_of(rules.ladder, org)  # an unknown target stage is bad input: fail before evaluating
    answers = None
    if inputs.survey is not None:  # staff answers beside the inventory's view, on the departments for the rules
        survey, survey_source = inputs.survey
        unknown = questionnaire.check(survey, survey_source, org)
        if unknown:
            raise InputError(unknown)
        answers = questionnaire.compare(survey, org)
        org = questionnaire.merge(org, answers)
    scope = derive.Scope(org, as_of)  # one per check: its indexes serve evaluation and evidence
    skipped = coverage.unassessed(rules, org)  # rules reading fields the inventory did not record
    results = evaluator(options.engine)(coverage.assessable(rules, skipped), org, as_of, scope=scope)
    results = coverage.completed(rules, results, skipped)
    found = findings.ordered(findings.by_rule(rules, results, org, as_of, scope, options.detail))
    found = credentials.redact_findings(found)  # a token pasted into the inventory goes no further
    waiver_statuses: tuple[waivers.WaiverStatus, ...] = ()
    if options.waivers:
        found, waiver_statuses = waivers.apply(found, inputs.waivers, as_of)
        results_as_waived = waivers.passing(rules, results, found, org)
    else:
        results_as_waived = results
    assessment = maturity.assess(rules, results_as_waived, org, departments=options.detail)
    assessment = replace(assessment, coverage=coverage.of(rules, results, skipped, org))
    outcomes = model.outcomes(rules.rules, results, skipped)
    files = tuple(
        [model.InputFile(s.path, "inventory", s.sha256) for s in org.sources]
        + _policy_inputs(rules)
        + [model.InputFile(path, role, _digest(path)) for path, role in _extra_inputs(options)]
    )
    organisation = {
        "id": org.organisation_id,
        "name": org.organisation.get("name"),
        "target_stage": target,
    }
    return model.Report(
        tool_version=__version__,
        as_of=as_of.isoformat(),
        engine=options.engine,
        organisation=organisation,
        inputs=files,
        rules=outcomes,
        findings=found,
        summary=model.summarise(outcomes, found),
        assessment=assessment,
        next_step=plan.build(rules, results_as_waived, [f for f in found if not f.waived], assessment, org, as_of),
        waivers=waiver_statuses if options.waivers else None,
        baseline=baseline.compare(inputs.known, found, org.organisation_id) if inputs.known else None,
        peer_context=peer_context.context(rules.peers, org),
        questionnaire=answers,
    )


def chosen(rules: policies.PolicySet, select: Sequence[str], skip: Sequence[str]) -> policies.PolicySet:
    """The rules --select and --skip leave (by id or tag); a selector that names no rule is an
    error (a typo must not silently run everything or nothing), with the closest id or tag."""
    names = {r.id for r in rules.rules} | {t for r in rules.rules for t in r.tags}
    unknown = [
        Diagnostic(
            "--select" if word in select else "--skip",
            message=f"no rule has the id or tag {word!r}"
            + "".join(f" (did you mean {m!r}?)" for m in difflib.get_close_matches(word, sorted(names), n=1)),
        )
        for word in dict.fromkeys([*select, *skip])
        if word not in names
    ]
    if unknown:
        raise InputError(unknown)

    def named(rule: ir.CompiledRule, words: Sequence[str]) -> bool:
        return rule.id in words or any(t in words for t in rule.tags)

    kept = tuple(r for r in rules.rules if (not select or named(r, select)) and not named(r, skip))
    if not kept:
        raise InputError([Diagnostic("--select", message="--select and --skip leave no rule to run")])
    return replace(rules, rules=kept)


def _policy_inputs(rules: policies.PolicySet) -> list[model.InputFile]:
    """Every file that shapes the policy set, with the digest of what was read: the
    ``pack.yaml`` of each pack loaded (given or reached through ``extends``, parents first:
    its overrides change severities and disable rules), the rule files and the stage ladder."""
    packs = [model.InputFile(display(Path(p.file).resolve()), "pack", p.sha256) for p in rules.packs]
    rule_files = [model.InputFile(s.path, "policy", s.sha256) for s in rules.sources]
    peers = [model.InputFile(rules.peers.file, "peers", rules.peers.sha256)] if rules.peers.file else []
    return [*packs, *rule_files, model.InputFile(rules.ladder.file, "stages", rules.ladder.sha256), *peers]


def _extra_inputs(options: CheckOptions) -> list[tuple[str, str]]:
    """The waivers file and the baseline, as inputs of the report (they change its outcome)."""
    pairs = [(options.waivers, "waivers"), (options.baseline, "baseline"), (options.questionnaire, "questionnaire")]
    return [(display(Path(path)), role) for path, role in pairs if path]


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def split_inputs(paths: Sequence[str]) -> tuple[list[str], list[str], dict[Path, Source | Diagnostic]]:
    """Tell policy inputs (a pack directory, or a file with a top-level ``rules`` list) from
    inventory inputs, for ``smgov validate``; with the files read to tell them apart, by
    resolved path (for ``read_all``: a large inventory is not parsed twice). A file with an
    ``organisation``, ``governance`` or a collection is an inventory, a stray ``rules`` key
    in it included (the inventory check reports that key)."""
    from engine.vocabulary import KIND_OF

    inventory_keys = {"organisation", "governance", *KIND_OF}

    def rules_file(data: object, has_rules: Callable[[dict[object, object]], bool]) -> bool:
        return isinstance(data, dict) and has_rules(data) and not inventory_keys & data.keys()

    inventories: list[str] = []
    policy_inputs: list[str] = []
    known: dict[Path, Source | Diagnostic] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            is_pack = (path / "pack.yaml").exists() or any(
                rules_file(s.data, lambda d: d.get("rules") is not None)
                for s in read_all(discover([path], "input", policies.skip_non_rules)[0], known)[0]
            )
        else:
            result = read_all([path], known)[0] if path.is_file() else []
            is_pack = bool(result) and rules_file(result[0].data, lambda d: "rules" in d)
        (policy_inputs if is_pack else inventories).append(raw)
    return inventories, policy_inputs, known
