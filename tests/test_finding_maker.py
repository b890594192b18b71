"""findings.maker builds the same frozen dataclass instances as their __init__, faster."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from engine.evaluate.findings import Evidence, Finding, Location, Waiver, maker

SHARED = {
    "rule_id": "BND-ACC-001",
    "title": "t",
    "lever": "boundary",
    "stage": "initialisation",
    "severity": "high",
    "subject_kind": "account",
    "remediation": "r",
    "references": ("MIP-2015",),
}
REST = {
    "subject_id": "a1",
    "departments": ("mkt",),
    "message": "m",
    "evidence": (Evidence("owner", None),),
    "location": Location("org.yaml", 3, 5),
    "fingerprint": "f" * 32,
}


def test_the_same_object_as_init() -> None:
    made = maker(Finding, **SHARED)(**REST)
    plain = Finding(**SHARED, **REST)
    assert made == plain
    assert hash(made.location) == hash(plain.location)
    assert repr(made) == repr(plain)
    assert list(vars(made)) == [f.name for f in dataclasses.fields(Finding)]  # field order kept
    assert made.waiver is None and not made.waived  # a default left out
    assert pickle.loads(pickle.dumps(made)) == plain
    assert dataclasses.replace(made, message="other") == dataclasses.replace(plain, message="other")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.message = "changed"  # type: ignore[misc]


def test_positional_in_field_order_and_defaults_overridable() -> None:
    waiver = Waiver("active", "why", "cfo", "2027-01-01", "w.yaml", 4)
    make = maker(Finding, **SHARED)
    assert make(*REST.values()) == Finding(**SHARED, **REST)
    assert make(**REST, waiver=waiver).waiver == waiver
    assert make(**REST).waiver is None  # instances share no state
    assert maker(Location)("f", 1, 2) == Location("f", 1, 2)


def test_wrong_arguments_fail_as_init_would() -> None:
    make = maker(Finding, **SHARED)
    with pytest.raises(TypeError):
        make(subject_id="a1")  # fields missing
    with pytest.raises(TypeError):
        make(**REST, colour="red")  # no such field
    with pytest.raises(TypeError):
        maker(Finding, colour="red")


def test_only_plain_frozen_dataclasses() -> None:
    @dataclasses.dataclass
    class Mutable:
        x: int

    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            raise ValueError

    @dataclasses.dataclass(frozen=True)
    class Factory:
        x: list[int] = dataclasses.field(default_factory=list)

    for cls in (Mutable, Checked, Factory, dict):
        with pytest.raises(TypeError):
            maker(cls)


def test_evidence_is_shared_only_between_identical_values() -> None:
    from engine.evaluate.findings import _evidence_maker

    evidence = _evidence_maker(("mfa", "admins"))
    first = evidence((False, 2))
    assert evidence((False, 2)) is first  # the same values: built once
    assert evidence((0, 2)) == (Evidence("mfa", 0), Evidence("admins", 2))  # 0 == False, yet not the same
    assert evidence((False, 2.0))[1].value.__class__ is float
    assert repr(evidence((-0.0, 2))[0]) == "Evidence(label='mfa', value=-0.0)"
    assert repr(evidence((0.0, 2))[0]) == "Evidence(label='mfa', value=0.0)"  # floats never shared
    listed = evidence((["a"], {"k": 1}))  # unhashable values: built each time
    assert listed == (Evidence("mfa", ["a"]), Evidence("admins", {"k": 1}))


def test_each_findings_fingerprint_and_departments_are_those_of_the_functions() -> None:
    """The finding builder writes out ``fingerprint()`` and ``departments_of()`` for speed: every
    finding of a baseline check, of every kind of subject, has exactly what they give."""
    import datetime as dt

    from engine import pipeline
    from engine.evaluate import findings
    from tests.helpers import ROOT

    options = pipeline.CheckOptions(inventory=(str(ROOT / "examples" / "automotive"),), as_of=dt.date(2026, 10, 1))
    report = pipeline.run_check(options)
    org = pipeline.load_inventory(options.inventory)
    kinds = set()
    for finding in report.findings:
        if finding.members:
            continue  # a group's fingerprint is made from every member (tests/test_duplicates.py)
        kinds.add(finding.subject_kind)
        assert finding.fingerprint == findings.fingerprint(finding.rule_id, finding.subject_kind, finding.subject_id)
        if finding.subject_kind != "organisation":
            subject = next(i for i in org.items(finding.subject_kind) if str(i.get("id")) == finding.subject_id)
            assert finding.departments == findings.departments_of(finding.subject_kind, subject)
    assert {"organisation", "account", "department"} <= kinds
