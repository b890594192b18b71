"""The fast YAML path (yaml-rs) gives exactly the data PyYAML's reader gives (``parse_yaml``,
the reference), or hands the file to it: errors are always PyYAML's, at its positions, and
positions are composed by PyYAML only when asked for."""

from __future__ import annotations

import math
import os
import re
import sys
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.inputs import yaml_fast
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.limits import MAX_DEPTH, MAX_STRING
from engine.inputs.yaml_fast import LazyMarks, fast_data, parse_yaml_fast
from engine.inputs.yaml_source import parse_yaml
from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import generate


def _same(a: Any, b: Any) -> bool:
    """Equal with the same types and key order (``==`` would take 1 for True, 1.0 for 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _check(text: str) -> bool:
    """The fast result equals the reference; returns whether the fast path read it."""
    reference = parse_yaml(text, "f.yaml")
    result = parse_yaml_fast(text, "f.yaml")
    if isinstance(reference, Diagnostic):
        assert result == reference, text
        return False
    assert not isinstance(result, Diagnostic), (text, result)
    assert _same(result[0], reference[0]), (text, result[0], reference[0])
    if fast_data(text) is None:
        return False
    # every node's position, walked without building the data again, is PyYAML's
    assert yaml_fast.marks_of(text) == reference[1]._marks, text
    return True


SCALARS = [
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "true", "False", "TRUE", "~", "null", "Null", "", "017",
    "0o17", "0x1F", "0b101", "1_000", "1e3", "1.5e3", "1.5e+3", "1.5E-3", "-.5", "+.5", ".5", "1.", "+1", "-0",
    ".inf", "-.Inf", ".NaN", "NaN", "inf", "10:30", "1:30.5", "190:20:30", "2026-01-01", "2026-01-01T10:00:00Z",
    "2026-1-1", "=", "<<", "0", "00", "09", "0.0", "12345678901234567890", "1__0", "_1", "1_", "0x1_F", "a b",
    "with: colon", "# not a comment", "x # comment", "'quoted'", '"dq"', "[1, 2]", "{a: 1}", "- item", "a, b",
    "Sales & Marketing", "R&D", "*star", "&amp", "!bang", "?q", "|", ">", "%p", "@at", "`tick",
]  # fmt: skip


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("style", ["plain", "single", "double", "key", "item", "flow"])
def test_scalars_read_as_pyyaml_reads_them(scalar: str, style: str) -> None:
    quoted = scalar.replace("'", "''")
    text = {
        "plain": f"a: {scalar}\n",
        "single": f"a: '{quoted}'\n",
        "double": 'a: "' + scalar.replace('"', "'") + '"\n',
        "key": f"{scalar}: 1\n",
        "item": f"a:\n  - {scalar}\n  - x\n",
        "flow": f"a: [{scalar}, x]\n",
    }[style]
    _check(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate keys
        "a:\n  b: 1\n  b: 2\n",
        "a: [1, 2\n",
        "a: {b: 1\n",
        "a:\n\t- 1\n",
        "a: 'x\n",
        'a: "\\ud800"\n',
        "a: &x 1\nb: *y\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "- a\nb: 1\n",
        "a: b: c\n",
        "a:\n- b\n  - c\n",
        "a: @x\n",
        "a: `x\n",
        "? [a]\n: 1\n",
        "a: !!python/object:os.system x\n",
        "a: !!int x\n",
        "a: \x07\n",
        "a: 1\n b: 2\n",
        "<<: {a: 1}\n",
        "a: " + "[" * 300 + "]" * 300 + "\n",
        "a:\n" + "".join(" " * i + "-\n" for i in range(2, 400)),
        "x:\n" + "- " * 5_000 + "a\n",
        "a: " + "9" * 5000 + "\n",
        "a: " + "x" * (MAX_STRING + 1) + "\n",
        "a:\n  b:\n" + "".join("  " * i + "c:\n" for i in range(2, MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "d\n",
    ],
)
def test_bad_or_unusual_input_is_pyyamls_to_judge(text: str) -> None:
    _check(text)


def test_the_fast_path_is_taken_for_plain_inventories() -> None:
    for example in ("automotive", "energy", "telecom"):
        text = (ROOT / "examples" / example / "inventory.yaml").read_text(encoding="utf-8")
        assert _check(text), example
    data = generate.generate_inventory(300, seed=3)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    assert _check(text)
    assert _check("# an inventory\n---\n" + text)


def test_positions_are_composed_only_when_asked_and_are_pyyamls() -> None:
    text = (ROOT / "examples" / "telecom" / "inventory.yaml").read_text(encoding="utf-8")
    result = parse_yaml_fast(text, "t.yaml")
    reference = parse_yaml(text, "t.yaml")
    assert not isinstance(result, Diagnostic) and not isinstance(reference, Diagnostic)
    marks = result[1]
    assert isinstance(marks, LazyMarks) and not marks.composed
    paths = [("accounts", 3, "owner"), ("accounts", 3), ("departments", 0, "nope"), ("training",), ()]
    assert [marks.locate(p) for p in paths] == [reference[1].locate(p) for p in paths]
    assert marks.composed
    assert marks.locate_items("accounts", [0, 5]) == reference[1].locate_items("accounts", [0, 5])


def test_without_yaml_rs_pyyaml_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_fast, "yaml_rs", None)
    assert fast_data("a: 1\n") is None
    assert parse_yaml_fast("a: 1\n", "f.yaml")[0] == {"a": 1}  # type: ignore[index]


_TOKEN = st.one_of(
    st.sampled_from(SCALARS),
    st.from_regex(r"[-+]?[0-9][0-9_.:eExXoO]{0,6}", fullmatch=True),
    st.text(alphabet="abcyesnotrufl0123456789 .:-_#&*!'\"", min_size=1, max_size=10),
)


@settings(max_examples=int(os.environ.get("SMGOV_FUZZ_EXAMPLES", "300")), deadline=None)
@given(st.lists(st.tuples(_TOKEN, _TOKEN, st.booleans()), min_size=1, max_size=6))
def test_fuzzed_documents_agree(pairs: list[tuple[str, str, bool]]) -> None:
    lines = []
    for index, (key, value, listed) in enumerate(pairs):
        lines.append(f"k{index}{key.strip()}:" + (f"\n  - {value}\n  - {key}" if listed else f" {value}"))
    _check("\n".join(lines) + "\n")


@settings(max_examples=int(os.environ.get("SMGOV_FUZZ_EXAMPLES", "200")), deadline=None)
@given(
    st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False),
            st.text(max_size=12),
            st.sampled_from(SCALARS),
        ),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    ),
    st.booleans(),
)
def test_dumped_data_agrees(value: Any, flow: bool) -> None:
    _check(yaml.safe_dump({"root": value}, default_flow_style=flow, allow_unicode=True, sort_keys=False))


@pytest.mark.parametrize(
    "text",
    [
        "a: |\n",
        "a: |\nb: 1\n",
        "a:\n  b: >\n  c: 1\n",
        "a: |\n  x\n\n  y\n",
        "a: >\n  x\n  y\n\n  z\n   more\n  w\n",
        "a: >-\n  folded\n  text\n\n\nb: 1\n",
        "a: |-\n  kept\n    indented\n",
        "a: |+\n  x\n\n",
        "a: |2\n   x\n",
        "a: >\n\n  x\n",
        "- |\n  x\n- >\n  y\n",
        "a: [1,017]\n",
        "a: [x,\n  017]\n",
        "a: 10,000 and 1,017 people\n",
        "a: plain\n  continued\n\n  para\n",
        "a: 'multi\n  line'\n",
        "a: [?q, x]\n",
        "a:\n  017\n",
        "a: # c\n\n  1e3\n",
        "-\n  017\n",
        "- x\n-   0o17 # c\n",
        "a: Unit 0017\nb: '2026-01-05'\nc: [2026-01-05, 1.0]\n",
        "a: [|, x]\n",
        "a: {b: [1, {c: d}], e: f}\n",
        "a: \"\"\nb: ''\n",
    ],
)
def test_block_scalars_and_flow_collections(text: str) -> None:
    _check(text)


def test_the_number_scan_spells_whitespace_as_pythons_re_does() -> None:
    """RE2 searches for risky numbers with the pattern ``re`` would use: its ``\\s`` is ASCII
    only, so the pattern spells out Python's, character for character."""
    spelt = re.compile(f"[{yaml_fast._SPACE}]")
    everything = "".join(map(chr, range(0x110000))).encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert re.findall(r"\s", everything) == spelt.findall(everything)


@settings(max_examples=int(os.environ.get("SMGOV_FUZZ_EXAMPLES", "300")), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([": ", "- ", ":\n  ", "[", "{", ", ", " # c\n", "\n", "\xa0", "\u3000 "]), _TOKEN),
        max_size=6,
    )
)
def test_re2_finds_a_risky_number_where_re_would(parts: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in parts) + "\n"
    pattern = yaml_fast._NUMBER.pattern
    assert (yaml_fast._NUMBER.search(text) is not None) == (re.search(pattern, text) is not None), text
