"""Policy tests: cases stored as data beside the rules (``schemas/policy-tests.schema.json``).

Each case is an inventory fragment, the rules it exercises and the findings expected from
them, by rule and subject. A case passes when the findings of its rules are exactly the
expected ones: a missing expected finding fails it, and so does an unexpected one.
Coverage counts the rules that have both a passing case (listed, no finding expected) and
a failing case (a finding expected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.assess import coverage as coverage_of
from engine.evaluate.evaluation import RuleResult
from engine.inputs import inventory, schemas
from engine.inputs.diagnostics import Diagnostic, InputError, dotted
from engine.inputs.positions import Mark
from engine.inputs.sources import SUFFIXES, Source, display, read_all
from engine.policy.policies import PolicySet

Evaluate = Callable[[PolicySet, inventory.Inventory, dt.date], tuple[RuleResult, ...]]
Pair = tuple[str, str]  # (rule id, subject id)


@dataclass(frozen=True)
class Case:
    file: str
    index: int
    name: str
    line: int
    rules: tuple[str, ...]  # the rules it exercises that are in effect
    skipped: tuple[str, ...]  # rules it lists that a pack disabled
    as_of: dt.date
    inventory: inventory.Inventory
    expect: tuple[Pair, ...]

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line}: {self.name}"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    actual: tuple[Pair, ...]
    missing: tuple[Pair, ...]  # expected, not found
    unexpected: tuple[Pair, ...]  # found, not expected
    disagreement: str = ""  # evaluators that disagreed, when several were run

    @property
    def passed(self) -> bool:
        return not (self.missing or self.unexpected or self.disagreement)


@dataclass(frozen=True)
class Coverage:
    rules: int
    covered: tuple[str, ...]  # a passing and a failing case
    untested: tuple[str, ...]  # in no case at all
    no_failing: tuple[str, ...]  # only passing cases
    no_passing: tuple[str, ...]  # only failing cases

    @property
    def percent(self) -> float:
        return 100.0 * len(self.covered) / self.rules if self.rules else 100.0


@dataclass(frozen=True)
class TestRun:
    results: tuple[CaseResult, ...]
    coverage: Coverage
    engines: tuple[str, ...]

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)


class _Within:
    """The positions of a case's inventory fragment, inside the test file."""

    def __init__(self, source: Source, prefix: tuple[Any, ...]) -> None:
        self._source, self._prefix = source, prefix

    def locate(self, path: tuple[str | int, ...]) -> Mark:
        return self._source.positions.locate((*self._prefix, *path))


def case_files(policies: PolicySet, paths: Iterable[str | Path] = ()) -> list[Path]:
    """The test files of every loaded pack (``tests/`` beside the rules), and of any other
    directory given, in a stable order."""
    dirs = [Path(p.directory) for p in policies.packs]
    dirs += [Path(p) for p in paths if Path(p).is_dir()]
    out: list[Path] = []
    for directory in dict.fromkeys(d.resolve() for d in dirs):
        tests = directory / "tests"
        if tests.is_dir():
            out += sorted(p for p in tests.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    return [Path(display(p)) for p in dict.fromkeys(out)]


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _pack_of(file: str, policies: PolicySet) -> Path:
    """The directory whose ``tests/`` holds ``file``: the innermost loaded pack that contains
    it, else the directory above the ``tests`` folder nearest to it."""
    resolved = Path(file).resolve()
    owners = [Path(p.directory).resolve() for p in policies.packs]
    inside = [d for d in owners if resolved.is_relative_to(d / "tests")]
    if inside:
        return max(inside, key=lambda d: len(d.parts))
    folder = next((parent for parent in resolved.parents if parent.name == "tests"), resolved.parent)
    return folder.parent


def _in_case(diagnostic: Diagnostic, prefix: tuple[Any, ...]) -> Diagnostic:
    """A problem of a case's inventory fragment, with its path inside the test file."""
    head = dotted(prefix)
    path = diagnostic.path
    return replace(diagnostic, path=f"{head}{'' if path.startswith('[') else '.'}{path}" if path else head)


def load_cases(files: Sequence[Path], policies: PolicySet, default_as_of: dt.date) -> list[Case]:
    """Read, check and build every case. Raises InputError with every problem.

    A case's name is unique in its pack (the test files of one pack directory), and an
    ``expect`` list names each (rule, subject) once: the results are reported by name, and a
    repeated expectation is a copy-paste slip that would hide a missing one."""
    sources, problems = read_all(files)
    effective = {r.id for r in policies.rules}
    disabled = {d.rule_id for d in policies.disabled}
    cases: list[Case] = []
    names: dict[tuple[Path, str], tuple[str, int, int]] = {}  # (pack, case name) -> its first (file, index, line)
    for source in sources:
        if not isinstance(source.data, dict):
            problems.append(Diagnostic(source.path, 1, 1, "a test file must be a mapping with a 'cases' list"))
            continue
        found = schemas.problems("policy-tests", source)
        problems.extend(found)
        if found:
            continue

        def at(path: tuple[Any, ...], message: str, source: Source = source) -> None:
            line, col = source.positions.locate(path)
            problems.append(Diagnostic(source.path, line, col, message, dotted(path)))

        file_as_of = source.data.get("as_of")
        base = _date(file_as_of) if file_as_of else default_as_of
        if base is None:
            at(("as_of",), f"{file_as_of!r} is not a calendar date")
            continue
        pack = _pack_of(source.path, policies)
        for index, raw in enumerate(source.data["cases"]):
            where = ("cases", index)
            here = (source.path, index, source.positions.locate(where)[0])
            first = names.setdefault((pack, raw["name"]), here)
            if first != here:
                message = f"duplicate case name {raw['name']!r} in this pack (first at {first[0]}:{first[2]})"
                at((*where, "name"), message)
            for number, rule_id in enumerate(raw["rules"]):
                if rule_id not in effective and rule_id not in disabled:
                    at((*where, "rules", number), f"unknown rule {rule_id!r} (not in the loaded policies)")
            listed = set(raw["rules"])
            expected_at: dict[Pair, int] = {}
            for number, item in enumerate(raw["expect"]):
                if item["rule"] not in listed:
                    at(
                        (*where, "expect", number, "rule"),
                        f"expected finding of {item['rule']!r}, which the case does not list in 'rules'",
                    )
                before = expected_at.setdefault((item["rule"], item["subject"]), number)
                if before != number:
                    line, _ = source.positions.locate((*where, "expect", before))
                    at(
                        (*where, "expect", number),
                        f"duplicate expectation: {item['rule']} on {item['subject']} is already expected at line "
                        f"{line} (expect[{before}])",
                    )
            as_of = _date(raw["as_of"]) if "as_of" in raw else base
            if as_of is None:
                at((*where, "as_of"), f"{raw['as_of']!r} is not a calendar date")
                continue
            data = {"organisation": {"name": "Test organisation"}, **raw["inventory"]}
            fragment = Source(source.path, data, _Within(source, (*where, "inventory")), source.sha256)
            try:
                org = inventory.build([fragment], policies.declared)
            except InputError as exc:
                problems.extend(_in_case(d, (*where, "inventory")) for d in exc.diagnostics)
                continue
            line, _ = source.positions.locate(where)
            rules = tuple(r for r in dict.fromkeys(raw["rules"]) if r in effective)
            skipped = tuple(r for r in dict.fromkeys(raw["rules"]) if r in disabled)
            expect = tuple(sorted({(e["rule"], e["subject"]) for e in raw["expect"] if e["rule"] in effective}))
            cases.append(Case(source.path, index, raw["name"], line, rules, skipped, as_of, org, expect))
    if problems:
        raise InputError(problems)
    return cases


def subset(policies: PolicySet, rule_ids: Iterable[str]) -> PolicySet:
    wanted = set(rule_ids)
    rules = tuple(r for r in policies.rules if r.id in wanted)
    return replace(policies, rules=rules, packs=(), origins=(), disabled=())


def failing_pairs(policies: PolicySet, org: inventory.Inventory, results: tuple[RuleResult, ...]) -> tuple[Pair, ...]:
    """The (rule, subject id) of every failing check."""
    by_id = {r.id: r for r in policies.rules}
    out: list[Pair] = []
    for result in results:
        scope = by_id[result.rule_id].scope
        if scope == "organisation":
            out += [(result.rule_id, org.organisation_id) for _ in result.failed]
        else:
            items = org.items(scope)
            out += [(result.rule_id, str(items[i].get("id"))) for i in result.failed]
    return tuple(sorted(out))


def run_case(policies: PolicySet, case: Case, evaluators: Sequence[tuple[str, Evaluate]]) -> CaseResult:
    rules = subset(policies, case.rules)
    if not case.rules:
        return CaseResult(case, (), (), ())
    # a case whose inventory does not record what a rule reads: that rule is not assessed, as in a check
    rules = coverage_of.assessable(rules, coverage_of.unassessed(rules, case.inventory))
    outcomes = [
        (name, failing_pairs(rules, case.inventory, ev(rules, case.inventory, case.as_of))) for name, ev in evaluators
    ]
    actual = outcomes[0][1]
    differ = [name for name, pairs in outcomes[1:] if pairs != actual]
    disagreement = f"{', '.join(differ)} disagree(s) with {outcomes[0][0]}" if differ else ""
    expected = set(case.expect)
    missing = tuple(sorted(expected - set(actual)))
    unexpected = tuple(sorted(set(actual) - expected))
    return CaseResult(case, actual, missing, unexpected, disagreement)


def coverage(policies: PolicySet, cases: Iterable[Case]) -> Coverage:
    passing: set[str] = set()
    failing: set[str] = set()
    listed: set[str] = set()
    for case in cases:
        fails = {rule for rule, _ in case.expect}
        failing |= fails
        passing |= set(case.rules) - fails
        listed |= set(case.rules)
    ids = [r.id for r in policies.rules]
    return Coverage(
        rules=len(ids),
        covered=tuple(i for i in ids if i in passing and i in failing),
        untested=tuple(i for i in ids if i not in listed),
        no_failing=tuple(i for i in ids if i in listed and i not in failing),
        no_passing=tuple(i for i in ids if i in listed and i not in passing),
    )


def run(policies: PolicySet, cases: Sequence[Case], evaluators: Sequence[tuple[str, Evaluate]]) -> TestRun:
    results = tuple(run_case(policies, case, evaluators) for case in cases)
    return TestRun(results, coverage(policies, cases), tuple(name for name, _ in evaluators))


def _pairs(pairs: Iterable[Pair]) -> str:
    shown = [f"{rule} on {subject}" for rule, subject in pairs]
    return ", ".join(shown) if shown else "(none)"


def render(run: TestRun, verbose: bool = False) -> str:
    """Every failing case with expected vs actual, then coverage; passing cases when verbose."""
    lines: list[str] = []
    for result in run.results:
        case = result.case
        if result.passed:
            if verbose:
                lines.append(f"PASS {case.label}")
            continue
        lines.append(f"FAIL {case.label}")
        lines.append(f"  rules:      {', '.join(case.rules)}")
        lines.append(f"  expected:   {_pairs(case.expect)}")
        lines.append(f"  actual:     {_pairs(result.actual)}")
        if result.missing:
            lines.append(f"  missing:    {_pairs(result.missing)}")
        if result.unexpected:
            lines.append(f"  unexpected: {_pairs(result.unexpected)}")
        if result.disagreement:
            lines.append(f"  evaluators: {result.disagreement}")
    cov = run.coverage
    lines.append(
        f"coverage: {len(cov.covered)} of {cov.rules} rules ({cov.percent:.1f}%) have a passing and a failing case"
    )
    for label, ids in (
        ("rules without a test", cov.untested),
        ("rules without a failing case", cov.no_failing),
        ("rules without a passing case", cov.no_passing),
    ):
        if ids:
            lines.append(f"{label} ({len(ids)}): {', '.join(ids)}")
    total, failed = len(run.results), len(run.failed)
    engines = " and ".join(run.engines)
    lines.append(f"{total} case{'s' if total != 1 else ''}, {failed} failed ({engines} evaluator)")
    return "\n".join(lines) + "\n"
