"""Property-based fuzzing of the policy compiler and the two evaluators (profiles in
tests/fuzzing.py): any rule compiles or is a policy error (never an exception); a rule that
compiles gives the same result in the reference interpreter, the native evaluator and
durable-rules; ``check`` ends 0, 1 or 2, never 3, with the same bytes on every run."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.inputs.diagnostics import InputError
from tests import fuzzing
from tests.helpers import HAS_DURABLE, all_engines_agree, cli, inventory, policy_set, rule

AS_OF = dt.date(2026, 10, 1)
PEOPLE = ["ann", "bob", "cid", ""]
PATTERNS = ["^a", "b$", "(?i)AN", "^(a+)+$", ".", "[0-9]", "^@", "(x)\\1", "(?=a)", "[", "\\p{L}", ""]
dates = st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat)
texts = st.sampled_from(PEOPLE) | st.text(max_size=6)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


account = st.fixed_dictionaries(
    {"platform": st.sampled_from(["x", "facebook", "linkedin"])},
    optional={
        "owner": maybe(texts),
        "backup_owner": maybe(texts),
        "handle": maybe(texts),
        "mfa": maybe(st.booleans()),
        "status": maybe(st.sampled_from(["active", "dormant", "retired"])),
        "kind": maybe(st.sampled_from(["brand", "support", "internal"])),
        "admins": maybe(st.lists(texts, max_size=4)),
        "created_on": maybe(dates),
        "last_activity_on": maybe(dates),
    },
)
accounts = st.lists(account, max_size=6).map(lambda items: [{"id": f"a{i}", **a} for i, a in enumerate(items)])

leaf = st.one_of(
    st.builds(
        lambda f, op, v: {"field": f, op: v},
        st.sampled_from(["owner", "handle", "platform"]),
        st.sampled_from(["equals", "not_equals"]),
        texts,
    ),
    st.builds(lambda op, v: {"field": "mfa", op: v}, st.sampled_from(["equals", "not_equals"]), st.booleans()),
    st.builds(
        lambda f, v: {"field": f, "exists": v},
        st.sampled_from(["owner", "mfa", "admins", "created_on", "status"]),
        st.booleans(),
    ),
    st.builds(
        lambda v: {"field": "status", "one_of": v},
        st.lists(st.sampled_from(["active", "dormant", "retired"]), min_size=1, max_size=3, unique=True),
    ),
    st.builds(lambda f, p: {"field": f, "matches": p}, st.sampled_from(["owner", "handle"]), st.sampled_from(PATTERNS)),
    st.builds(
        lambda op, n: {"field": "admins", "count": {op: n}}, st.sampled_from(["gte", "lt", "equals"]), st.integers(0, 4)
    ),
    st.builds(lambda v: {"field": "admins", "contains": v}, st.sampled_from(PEOPLE)),
    st.builds(lambda v: {"field": "admins", "any_item": {"field": "$item", "equals": v}}, st.sampled_from(PEOPLE)),
    st.just({"field": "admins", "all_items": {"field": "$item", "not_equals": {"ref": "$subject.owner"}}}),
    st.builds(
        lambda f, n: {"field": f, "older_than_days": n},
        st.sampled_from(["created_on", "last_activity_on"]),
        st.integers(-10, 4000),
    ),
    st.builds(lambda n: {"field": "last_activity_on", "within_days": n}, st.integers(0, 4000)),
    st.just({"field": "backup_owner", "not_equals": {"ref": "owner"}}),
)
conditions = st.recursive(
    leaf,
    lambda inner: (
        st.builds(lambda c: {"not": c}, inner)
        | st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3))
        | st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3))
    ),
    max_leaves=6,
)
#: anything at all where a condition goes: the compiler must say no in words
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
wild = st.one_of(
    conditions,
    _json,
    st.dictionaries(
        st.sampled_from(["field", "equals", "matches", "count", "all", "not", "related", "ref"]), _json, max_size=3
    ),
)


@given(wild, st.none() | wild)
def _compiler_refuses_in_words(require: Any, when: Any) -> None:
    fuzzing.tried("compiler: any rule")
    try:
        policy_set(rule("account", require, when))
    except InputError as exc:
        assert exc.diagnostics and all(d.message and "\n" not in d.message for d in exc.diagnostics)


def test_the_compiler_refuses_in_words() -> None:
    fuzzing.run("compiler: any rule", _compiler_refuses_in_words)


@fuzzing.examples(25)
@given(accounts, conditions, st.none() | conditions)
def _evaluators_agree(items: list[dict[str, Any]], require: Any, when: Any) -> None:
    fuzzing.tried("evaluators: reference, native and durable agree")
    try:
        policies = policy_set(rule("account", require, when))
        inv = inventory({"accounts": items})
    except InputError:
        return  # (a pattern RE2 refuses, a condition that can never hold, an empty owner...)
    all_engines_agree(policies, inv, AS_OF)


@pytest.mark.skipif(not HAS_DURABLE, reason="durable-rules is not installed")
def test_the_evaluators_agree() -> None:
    fuzzing.run("evaluators: reference, native and durable agree", _evaluators_agree)


def _check(directory: Path, *extra: str) -> Any:
    return cli(
        "check",
        str(directory / "org.json"),
        "--policies",
        str(directory / "rules.yaml"),
        "--as-of",
        AS_OF.isoformat(),
        "--format",
        "json",
        "--fail-on",
        "low",
        *extra,
    )


@fuzzing.examples(8)
@given(accounts, st.lists(conditions, min_size=1, max_size=3))
def _check_is_deterministic_and_never_internal(items: list[dict[str, Any]], requires: list[Any]) -> None:
    fuzzing.tried("check: exit codes, identical bytes, engines agree")
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        org = {
            "organisation": {"name": "Fuzz"},
            "accounts": [{k: v for k, v in a.items() if v is not None} for a in items],
        }
        (directory / "org.json").write_text(json.dumps(org), encoding="utf-8")
        rules = [rule("account", r, id=f"FZ-{i:03d}") for i, r in enumerate(requires)]
        (directory / "rules.yaml").write_text(json.dumps({"version": 1, "rules": rules}), encoding="utf-8")
        first, second = _check(directory), _check(directory)
        assert first.exit_code in (0, 1, 2), first.output[-2000:]
        assert "Traceback" not in first.output and "internal error" not in first.output, first.output[-2000:]
        assert first.output == second.output and first.exit_code == second.exit_code
        if first.exit_code != 2 and HAS_DURABLE:
            durable = _check(directory, "--engine", "durable")
            assert durable.exit_code == first.exit_code, durable.output[-2000:]
            ours, theirs = json.loads(first.output), json.loads(durable.output)
            assert ours["findings"] == theirs["findings"]


def test_check_is_deterministic_and_never_internal() -> None:
    fuzzing.run("check: exit codes, identical bytes, engines agree", _check_is_deterministic_and_never_internal)


_any_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)


@fuzzing.examples(6)
@given(
    st.lists(st.fixed_dictionaries({"handle": _any_text, "owner": _any_text, "notes": _any_text}), max_size=3),
    _any_text,
)
def _every_format_carries_any_text(items: list[dict[str, str]], name: str) -> None:
    fuzzing.tried("check: any text through every format")
    import csv
    import io
    import xml.etree.ElementTree as ET

    from engine.report.render import FILE_NAMES

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        records = [{"id": f"a{i}", "platform": "x", **item} for i, item in enumerate(items)]
        org = {"organisation": {"name": name}, "departments": [{"id": "d1", "name": name}], "accounts": records}
        (root / "org.json").write_text(json.dumps(org), encoding="utf-8")
        formats = [arg for fmt in FILE_NAMES for arg in ("--format", fmt)]
        result = cli(
            "check",
            str(root / "org.json"),
            "--as-of",
            AS_OF.isoformat(),
            *formats,
            "--output-dir",
            str(root / "out"),
            "--fail-on",
            "never",
        )
        assert result.exit_code in (0, 2), result.output[-2000:]
        assert "Traceback" not in result.output and "internal error" not in result.output, result.output[-2000:]
        if result.exit_code == 2:
            return  # (a value the schema refuses, said in words)
        out = {fmt: (root / "out" / FILE_NAMES[fmt]).read_text(encoding="utf-8") for fmt in FILE_NAMES}
    json.loads(out["json"], parse_constant=lambda token: pytest.fail(token))
    json.loads(out["sarif"])
    ET.fromstring(out["junit"].encode("utf-8"))
    cells = [cell for row in csv.reader(io.StringIO(out["csv"], newline="")) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    for fmt in ("text", "markdown"):
        assert "\x1b" not in out[fmt] and "\x07" not in out[fmt], fmt


def test_every_format_carries_any_text() -> None:
    fuzzing.run("check: any text through every format", _every_format_carries_any_text)
