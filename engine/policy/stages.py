"""The stage ladder as data: ``stages.yaml`` of a policy pack, checked and loaded.

A pack directory may hold a ``stages.yaml`` (``schemas/stages.schema.json``): the ordered
stages, each stage's gate, the severity weights of the lever ratios and the Altimeter
crosswalk. Packs that do not define one use the bundled baseline ladder. Several loaded
packs may each define one only if they define the same ladder; anything else is an error,
never a silent "last one wins".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine.inputs import schemas
from engine.inputs.diagnostics import Diagnostic, InputError, dotted
from engine.inputs.sources import Source, display, read_all
from engine.vocabulary import SEVERITIES

#: File names that define a pack's ladder (at the top of a pack directory).
STAGE_FILES = ("stages.yaml", "stages.yml")
#: The assessed stage below the first stage of the ladder.
NONE = "none"
#: Altimeter-2013's six stages of social business, lowest first (the crosswalk's scale).
ALTIMETER = ("Planning", "Presence", "Engagement", "Formalized", "Strategic", "Converged")
DEFAULT_IMBALANCE_SPREAD = 2


@dataclass(frozen=True)
class Gate:
    """What a stage demands of the rules whose ``stage`` is that stage.

    ``requires``: the rules that define the stage (each must pass on every subject it
    applies to); ``blocking_severities``: rules of these severities must pass too; of the
    stage's other rules that apply, at least ``min_pass_ratio`` of their severity weight must
    pass outright (a rule passes when it passes on every subject)."""

    blocking_severities: tuple[str, ...]
    min_pass_ratio: Fraction
    requires: tuple[str, ...] = ()

    def must_pass(self, weight: int) -> int:
        """How much of ``weight`` (the other rules' severity weight) must pass (exact: no float
        rounding)."""
        return math.ceil(self.min_pass_ratio * weight)


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    description: str
    altimeter: tuple[str, ...]
    gate: Gate
    #: where each of ``gate.requires`` is written in the ladder file (line, col)
    requires_at: tuple[tuple[int, int], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Ladder:
    """The ordered stages (lowest first) and the assessment settings that come with them."""

    stages: tuple[Stage, ...]
    weights: tuple[tuple[str, int], ...]  # (severity, weight) in SEVERITIES order
    imbalance_spread: int = DEFAULT_IMBALANCE_SPREAD
    below_first_description: str = ""
    below_first_altimeter: tuple[str, ...] = ()
    description: str = field(default="", compare=False)  # prose about the file, not part of the ladder
    file: str = field(default="", compare=False)  # where it was defined; not part of its identity
    sha256: str = field(default="", compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    def weight(self, severity: str) -> int:
        return dict(self.weights)[severity]

    def rank(self, stage: str) -> int:
        """0 for ``none``, 1 for the first stage, ... (so stages can be compared and subtracted)."""
        return 0 if stage == NONE else self.ids.index(stage) + 1

    def name(self, rank: int) -> str:
        return NONE if rank == 0 else self.stages[rank - 1].id

    def altimeter(self, stage: str) -> tuple[str, ...]:
        return self.below_first_altimeter if stage == NONE else self.stages[self.rank(stage) - 1].altimeter


def _gate(raw: Mapping[str, Any], default: Gate | None) -> Gate:
    blocking = raw.get("blocking_severities")
    ratio = raw.get("min_pass_ratio")
    return Gate(
        requires=tuple(raw.get("requires", ())),
        blocking_severities=tuple(blocking)
        if blocking is not None
        else (default.blocking_severities if default else ()),
        # via str: 0.8 is exactly 4/5, not the binary float nearest to it
        min_pass_ratio=Fraction(str(ratio))
        if ratio is not None
        else (default.min_pass_ratio if default else Fraction(0)),
    )


def _semantic_problems(source: Source) -> list[Diagnostic]:
    """Duplicate stage ids, and a crosswalk that goes down the Altimeter scale as stages go up."""
    problems: list[Diagnostic] = []

    def at(path: tuple[Any, ...], message: str) -> None:
        line, col = source.positions.locate(path)
        problems.append(Diagnostic(source.path, line, col, message, dotted(path)))

    seen: dict[str, int] = {}
    highest = -1
    below = source.data.get("below_first", {}).get("altimeter", [])
    if below:
        highest = max(ALTIMETER.index(a) for a in below)
    for index, stage in enumerate(source.data["stages"]):
        if stage["id"] in seen:
            at(("stages", index, "id"), f"duplicate stage id {stage['id']!r} (first at stages[{seen[stage['id']]}])")
        seen.setdefault(stage["id"], index)
        marks = [ALTIMETER.index(a) for a in stage.get("altimeter", [])]
        if marks and min(marks) < highest:
            at(
                ("stages", index, "altimeter"),
                "the Altimeter crosswalk must not go down as stages go up "
                f"({', '.join(stage['altimeter'])} is below a lower stage's {ALTIMETER[highest]})",
            )
        highest = max([highest, *marks])
    return problems


def from_source(source: Source) -> Ladder:
    """Check one ``stages.yaml`` (schema, then meaning) and build its ladder. Raises InputError."""
    schemas.checked(source, "stages", "a stages file")
    problems = _semantic_problems(source)
    if problems:
        raise InputError(problems)
    data = source.data
    default = _gate(data["gate"], None)
    below = data.get("below_first", {})
    return Ladder(
        stages=tuple(
            Stage(
                id=raw["id"],
                title=raw["title"],
                description=" ".join(raw["description"].split()),
                altimeter=tuple(raw.get("altimeter", ())),
                gate=_gate(raw.get("gate", {}), default),
                requires_at=tuple(
                    source.positions.locate(("stages", index, "gate", "requires", n))
                    for n in range(len(raw.get("gate", {}).get("requires", ())))
                ),
            )
            for index, raw in enumerate(data["stages"])
        ),
        weights=tuple((s, int(data["weights"][s])) for s in SEVERITIES),
        imbalance_spread=data.get("imbalance_spread", DEFAULT_IMBALANCE_SPREAD),
        below_first_description=" ".join(below.get("description", "").split()),
        below_first_altimeter=tuple(below.get("altimeter", ())),
        description=" ".join(data.get("description", "").split()),
        file=source.path,
        sha256=source.sha256,
    )


def requirement_problems(ladder: Ladder, stage_of: Mapping[str, str], disabled: Iterable[str]) -> list[Diagnostic]:
    """A stage's ``requires`` may not name a rule of another stage (an error at its place in
    the ladder file). A rule that is not loaded (a pack that copies the ladder but takes only
    some rules, or one a pack disabled with its reason) simply does not define the stage: the
    gate lists it in ``requires`` and not among its ``blocking_rules``."""
    problems: list[Diagnostic] = []
    off = set(disabled)
    for stage in ladder.stages:
        for n, rule_id in enumerate(stage.gate.requires):
            line, col = stage.requires_at[n] if n < len(stage.requires_at) else (1, 1)
            where = f"stages[{ladder.rank(stage.id) - 1}].gate.requires[{n}]"
            if rule_id in off or rule_id not in stage_of:
                continue
            if stage_of[rule_id] != stage.id:
                message = f"stage {stage.id} requires rule {rule_id!r}, which is a rule of stage {stage_of[rule_id]}"
            else:
                continue
            problems.append(Diagnostic(ladder.file, line, col, message, where))
    return problems


def is_stage_file(path: Path) -> bool:
    return path.name in STAGE_FILES


def stage_files(paths: Iterable[str | Path]) -> list[Path]:
    """The ladder files among policy inputs: a pack directory's top-level ``stages.yaml``, or
    a file input with that name."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(path / name for name in STAGE_FILES if (path / name).is_file())
        elif is_stage_file(path) and path.is_file():
            found.append(path)
    return [Path(display(p)) for p in found]  # shown like every other input: relative when inside the cwd


def default_ladder() -> Ladder:
    """The bundled baseline ladder, used when no loaded pack defines one. Read each time (it is
    small): its displayed path depends on the working directory of the check."""
    return load_files([Path(display(schemas.data_dir("policies") / "baseline" / STAGE_FILES[0]))])


def load_files(files: Iterable[Path]) -> Ladder:
    """Read and check ladder files; they must all define the same ladder. Raises InputError."""
    sources, problems = read_all(files)
    ladders: list[Ladder] = []
    for source in sources:
        try:
            ladders.append(from_source(source))
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if not problems:
        first = ladders[0] if ladders else None
        for ladder in ladders[1:]:
            if first is not None and ladder != first:
                problems.append(
                    Diagnostic(
                        ladder.file,
                        1,
                        1,
                        f"conflicting stage ladder: differs from {first.file} "
                        "(packs loaded together must define the same stages, or only one of them may)",
                    )
                )
    if problems:
        raise InputError(problems)
    return ladders[0] if ladders else default_ladder()


def load(paths: Iterable[str | Path]) -> Ladder:
    """The ladder the policy inputs define, or the bundled one."""
    files = stage_files(paths)
    return load_files(files) if files else default_ladder()
