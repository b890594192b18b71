"""Hostile or odd input files: each problem reported with file:line:col in one plain line,
exit 2; never an internal error (exit 3), a crash, a hang or gigabytes of memory."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from engine.inputs import nesting, yaml_source
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.json_source import _fast_walk, parse_json
from engine.inputs.yaml_source import parse_yaml
from tests.helpers import ROOT, cli, write

SMGOV = [sys.executable, "-m", "engine"]
AS_OF = ("--as-of", "2026-10-01")
HEAD = "version: 1\norganisation:\n  name: X\n"
JSON_HEAD = '{"version": 1, "organisation": {"name": "X"}'
MAX_DEPTH = 100  # levels of nesting a document may have (engine.inputs.yaml_source.MAX_DEPTH)


@pytest.fixture(params=["serial"])
def validation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with the inventory parsed and validated in a child process (as files over 8 MB are)."""


def refused(path: Path, *fragments: str) -> str:
    """``validate`` and ``check`` both stop with exit 2 and every fragment in one line."""
    for command in (["validate", str(path)], ["check", str(path), *AS_OF]):
        result = cli(*command)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
        first = result.output.splitlines()[0]
        for fragment in fragments:
            assert fragment in first, result.output
    return first


def run_limited(*args: str, memory: int = 2 << 30, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """smgov in a child process with at most ``memory`` bytes and ``timeout`` seconds: a
    regression fails the test instead of taking the machine (or the test run) down."""

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [*SMGOV, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, preexec_fn=limit, check=False
    )


def data(result: Any) -> Any:
    assert not isinstance(result, Diagnostic), result
    return result[0]


def problem(result: Any) -> Diagnostic:
    assert isinstance(result, Diagnostic), result
    assert "\n" not in result.message
    return result


# -- 1. aliases --------------------------------------------------------------------------


def billion_laughs(levels: int = 8) -> str:
    text = HEAD + "x0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    for k in range(1, levels + 1):
        text += f"x{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * 10) + "]\n"
    return text


def test_an_alias_bomb_is_refused_at_the_alias_quickly_and_in_little_memory(tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", billion_laughs())
    done = run_limited("validate", str(path), memory=1 << 30, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    line = done.stdout.splitlines()[0] if done.stdout else done.stderr.splitlines()[0]
    assert f"{path}:7:" in line and "alias expands to more than 10000 nodes" in line


def test_the_alias_limit_grows_with_the_document() -> None:
    """The aliases' copies may add ALIAS_FLOOR nodes, or ALIAS_RATIO times the document's own."""
    result = problem(parse_yaml(billion_laughs(4), "org.yaml"))
    assert (result.line, result.message) == (7, "alias expands to more than 10000 nodes")
    items = "".join(f"- {{id: r{i}, tags: *t}}\n" for i in range(20_000))  # 180,000 nodes copied
    text = "tags: &t [a, b, c, d, e, f, g, h]\nrecords:\n" + items
    assert len(data(parse_yaml(text, "org.yaml"))["records"]) == 20_000


def test_aliases_used_as_people_use_them_still_work_and_point_at_themselves() -> None:
    text = (
        HEAD
        + "owners: &owners [ann, bob]\naccounts:\n  - id: a1\n    admins: *owners\n  - id: a2\n    admins: *owners\n"
    )
    result = parse_yaml(text, "org.yaml")
    assert data(result)["accounts"] == [{"id": "a1", "admins": ["ann", "bob"]}, {"id": "a2", "admins": ["ann", "bob"]}]
    doc, marks = result  # type: ignore[misc]
    assert doc["accounts"][0]["admins"] is not doc["accounts"][1]["admins"]  # copies, never shared
    assert marks.locate(("accounts", 1, "admins")) == (9, 5)  # the alias's key
    assert marks.locate(("accounts", 1, "admins", 1)) == (4, 23)  # inside: where the anchor's items are


def test_an_alias_inside_the_node_it_names_is_an_error_not_a_recursion() -> None:
    result = problem(parse_yaml(HEAD + "x: &a [1, *a]\n", "org.yaml"))
    assert (result.line, result.col) == (4, 11) and "inside the node it refers to" in result.message


# -- 2. nesting --------------------------------------------------------------------------


def nested_yaml(levels: int) -> str:
    """A document ``levels`` deep: the top mapping and levels - 1 sequences."""
    return HEAD + "x: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n"


def nested_json(levels: int) -> str:
    return JSON_HEAD + ', "x": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


@pytest.mark.parametrize("levels", [MAX_DEPTH - 8, MAX_DEPTH - 1, MAX_DEPTH])
def test_nesting_up_to_the_limit_is_read_in_both_formats(levels: int) -> None:
    assert data(parse_yaml(nested_yaml(levels), "org.yaml")) == data(parse_json(nested_json(levels), "org.json"))


def test_nesting_past_the_limit_is_refused_at_the_same_place_in_both_formats() -> None:
    too_deep = f"nesting too deep (more than {MAX_DEPTH} levels)"
    yaml_problem = problem(parse_yaml(nested_yaml(MAX_DEPTH + 1), "org.yaml"))
    json_problem = problem(parse_json(nested_json(MAX_DEPTH + 1), "org.json"))
    assert (yaml_problem.line, yaml_problem.col, yaml_problem.message) == (4, 3 + MAX_DEPTH, too_deep)
    assert (json_problem.line, json_problem.col, json_problem.message) == (1, 51 + MAX_DEPTH, too_deep)


def test_deep_json_is_refused_whether_the_decoders_give_up_or_not() -> None:
    """5,000 levels: msgspec and the standard library's scanner both raise RecursionError."""
    assert _fast_walk(nested_json(5000), nested_json(5000).encode()) is None
    assert problem(parse_json(nested_json(5000), "org.json")).col == 51 + MAX_DEPTH
    text = JSON_HEAD + ', "accounts": [{"id": "a", "x": ' + '{"a": ' * 5000  # (and unfinished)
    result = problem(parse_json(text, "org.json"))
    assert (result.col, result.message) == (
        77 + 6 * (MAX_DEPTH - 3),  # the first object is the 4th level
        f"nesting too deep (more than {MAX_DEPTH} levels)",
    )


def test_aliases_count_towards_the_nesting() -> None:
    anchored = "[" * 60 + "]" * 60  # 60 levels, in a mapping: 61
    fits = "[" * (MAX_DEPTH - 61) + "*a" + "]" * (MAX_DEPTH - 61)
    data(parse_yaml(f"a: &a {anchored}\nb: {fits}\n", "o.yaml"))
    result = problem(parse_yaml(f"a: &a {anchored}\nb: {fits}\nc: [{fits}]\n", "o.yaml"))
    assert (result.line, result.col) == (3, 5 + MAX_DEPTH - 61) and result.message.startswith("nesting too deep")


@pytest.mark.parametrize(
    "text",
    [
        HEAD + "x: " + "[" * 200_000 + "\n",  # libyaml's composer recursed in C: a segmentation fault
        HEAD + "x:\n" + "- " * 100_000 + "a\n",
        HEAD + "x: " + "{a: " * 100_000 + "\n",
    ],
    ids=["flow-sequences", "block-sequences", "flow-mappings"],
)
def test_extreme_yaml_nesting_is_refused_without_crashing(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "org.yaml", text)
    done = run_limited("validate", str(path))
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert f"{path}:" in done.stderr and "nesting too deep (more than 100 levels)" in done.stderr


@pytest.mark.usefixtures("validation")
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_nesting_from_the_command_line(tmp_path: Path, suffix: str) -> None:
    text = nested_yaml(1000) if suffix == ".yaml" else nested_json(5000)
    path = write(tmp_path / f"org{suffix}", text)
    refused(path, f"{path}:", "nesting too deep (more than 100 levels)")


# -- 3. long numbers ---------------------------------------------------------------------

LONG = "9" * 5000


def test_a_number_too_long_for_python_is_refused_at_the_value() -> None:
    text = HEAD + f"  employees: {LONG}\n"
    result = problem(parse_yaml(text, "org.yaml"))
    assert (result.line, result.col, result.path) == (4, 14, "organisation.employees")
    assert result.message.startswith("number too large")
    result = problem(
        parse_json('{"version": 1,\n "organisation": {"name": "X", "employees": -' + LONG + "}}", "o.json")
    )
    assert (result.line, result.col, result.path) == (2, 45, "organisation.employees")
    assert result.message.startswith("number too large")
    result = problem(parse_json(JSON_HEAD + ', "accounts": [{"id": "a"}, {"id": "b", "n": [1, ' + LONG + "]}]}", "o"))
    assert result.path == "accounts[1].n[1]" and result.message.startswith("number too large")


def test_long_numbers_that_python_reads_are_still_read() -> None:
    long_float = "1." + "5" * 5000
    assert data(parse_json(JSON_HEAD + f', "x": [{long_float}, {"9" * 4000}]}}', "o.json"))["x"][1] == int("9" * 4000)
    assert data(parse_yaml(f"x: 0x{'f' * 5000}\ny: {'9' * 4000}\n", "o.yaml"))["y"] == int("9" * 4000)


@pytest.mark.usefixtures("validation")
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_long_numbers_from_the_command_line(tmp_path: Path, suffix: str) -> None:
    text = HEAD + f"  employees: {LONG}\n" if suffix == ".yaml" else JSON_HEAD[:-1] + f', "employees": {LONG}}}}}'
    path = write(tmp_path / f"org{suffix}", text)
    refused(path, f"{path}:", "number too large", "(organisation.employees)")


# -- 4. explicit tags, merge keys --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('!!int "abc"', "'abc' is not a valid !!int"),
        ("!!float abc", "'abc' is not a valid !!float"),
        ("!!bool maybe", "'maybe' is not a valid !!bool"),
        ("!!int ''", "'' is not a valid !!int"),
        ("!!int 1:x", "'1:x' is not a valid !!int"),
        ("!!float ''", "'' is not a valid !!float"),
        (f"!!int '{'x' * 500}'", "'xxxxxxxxx"),
    ],
)
def test_a_value_its_tag_does_not_fit_is_an_input_error(value: str, message: str) -> None:
    result = problem(parse_yaml(HEAD + f"  employees: {value}\n", "org.yaml"))
    assert (result.line, result.col, result.path) == (4, 14, "organisation.employees")
    assert result.message.startswith(message) and len(result.message) < 100


def test_merge_keys_are_named_as_unsupported_at_the_key() -> None:
    text = "version: 1\nbase: &base\n  name: X\norganisation:\n  <<: *base\n  employees: 3\n"
    result = problem(parse_yaml(text, "org.yaml"))
    assert (result.line, result.col, result.message) == (5, 3, "YAML merge keys (<<) are not supported")
    assert data(parse_yaml("x: '<<'\n'<<': 1\n", "o.yaml")) == {"x": "<<", "<<": 1}  # quoted: just text


@pytest.mark.usefixtures("validation")
def test_tags_and_merge_keys_from_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", HEAD + "  employees: !!bool maybe\n")
    refused(path, f"{path}:4:14: 'maybe' is not a valid !!bool (organisation.employees)")
    path = write(tmp_path / "org.yaml", "version: 1\nbase: &b {name: X}\norganisation:\n  <<: *b\n")
    refused(path, f"{path}:4:3: YAML merge keys (<<) are not supported")


# -- 5. lone surrogates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("string", "col", "escape"),
    [
        ("Lumetra \\ud800", 50, "\\ud800"),
        ("\\udc00 x", 42, "\\udc00"),
        ("\\uD83D\\u0041", 42, "\\ud83d"),
        ("ok \\ud83d\\ude00 then \\udfff", 63, "\\udfff"),
    ],
)
def test_a_lone_surrogate_in_json_is_refused_where_it_is_written(string: str, col: int, escape: str) -> None:
    text = '{"version": 1, "organisation": {"name": "' + string + '"}}'
    assert _fast_walk(text, text.encode()) is None  # msgspec refuses it: the exact walk decides
    result = problem(parse_json(text, "org.json"))
    assert (result.line, result.col, result.message) == (1, col, f"unpaired surrogate {escape} in a string")


def test_escapes_that_are_not_lone_surrogates_are_read() -> None:
    text = '{"organisation": {"name": "\\ud83d\\ude00 \\\\ud800 \\u00e9"}, "big": 18446744073709551616}'
    assert data(parse_json(text, "org.json"))["organisation"]["name"] == "\U0001f600 \\ud800 é"


def test_a_surrogate_in_yaml_is_refused_by_either_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD.replace("name: X", 'name: "Lumetra \\ud800"')
    assert problem(parse_yaml(text, "org.yaml")).line == 3  # libyaml refuses the escape itself
    monkeypatch.setattr(yaml_source, "_Loader", yaml.SafeLoader)  # the pure-Python parser lets it through
    result = problem(parse_yaml(text, "org.yaml"))
    assert (result.line, result.message) == (3, "unpaired surrogate \\ud800 in a string")


@pytest.mark.usefixtures("validation")
def test_a_lone_surrogate_stops_check_before_any_report(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text('{"version": 1, "organisation": {"name": "Lumetra \\ud800"}}', encoding="utf-8")
    refused(path, f"{path}:1:50: unpaired surrogate \\ud800 in a string")


# -- 6. duplicate keys inside JSON objects -----------------------------------------------

RECORDS = [{"id": f"a{i}", "platform": "x", "url": f"https://x.example/{i}", "mfa": True} for i in range(50)]


def inventory_json(records: list[dict[str, Any]], indent: int | None = None) -> str:
    return json.dumps({"version": 1, "organisation": {"name": "X"}, "accounts": records}, indent=indent)


@pytest.mark.parametrize("indent", [None, 2])
def test_a_key_twice_inside_a_record_is_refused_at_the_second(indent: int | None) -> None:
    text = inventory_json(RECORDS, indent).replace('"mfa": true', '"mfa": true, "mfa": false', 1)
    result = problem(parse_json(text, "org.json"))
    offset = text.index('"mfa"', text.index('"mfa"') + 1)
    assert (result.message, result.path) == ("invalid JSON: duplicate key 'mfa'", "accounts[0].mfa")
    assert (result.line, result.col) == (text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ('{"organisation": {"name": "X", "size": "s", "name": "Y"}}', "organisation.name"),
        ('{"governance": {"c": {"a": 1, "a": 1}}}', "governance.c.a"),
        ('{"accounts": [{"id": "a", "n": {"k:v": 1, "k:v": 2}}]}', "accounts[0].n.k:v"),
        ('{"accounts": [[{"id": "a", "id": "a"}]]}', "accounts[0][0].id"),
        ('{"accounts": [{"id": "a", "u": "\\u003a", "id": "b"}]}', "accounts[0].id"),  # an escaped colon
        ('{"x": [{"a": 1}, {"b": {"c": [1, {"d": 1, "d": 1}]}}]}', "x[1].b.c[1].d"),
    ],
)
def test_a_key_twice_anywhere_in_json_is_refused(document: str, path: str) -> None:
    result = problem(parse_json(document, "org.json"))
    assert result.path == path and "duplicate key" in result.message


def test_json_without_duplicates_stays_on_the_fast_path() -> None:
    """Colons in strings, written or escaped; not every colon in a string field is sampled."""
    records = [*RECORDS, {"id": "z", "note": "a: b", "when": "10:30", "m": {"k": "https://x", "l": [":"]}}]
    for text in (inventory_json(records), inventory_json(records, 1).replace("a: b", "a\\u003a b")):
        assert _fast_walk(text, text.encode()) is not None
        assert data(parse_json(text, "org.json"))["accounts"][-1]["note"] == "a: b"


def test_json_that_only_looks_like_it_has_duplicates_is_read() -> None:
    """An escaped backslash before "u003a" counts as a colon in the text: the exact walk decides."""
    text = inventory_json([*RECORDS, {"id": "z", "note": "\\u003a"}])
    assert _fast_walk(text, text.encode()) is None
    assert data(parse_json(text, "org.json"))["accounts"][-1]["note"] == "\\u003a"


@pytest.mark.usefixtures("validation")
def test_a_duplicate_key_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text('{"version": 1, "organisation": {"name": "X", "name": "Y"}}', encoding="utf-8")
    refused(path, f"{path}:1:46: invalid JSON: duplicate key 'name' (organisation.name)")


# -- 7. characters YAML does not allow ---------------------------------------------------


@pytest.mark.parametrize(("char", "name"), [("\x07", "control character U+0007"), ("\x00", "control character U+0000")])
def test_a_control_character_late_in_yaml_is_located(tmp_path: Path, char: str, name: str) -> None:
    text = HEAD + "# " + "c" * 9000 + "\n" + f"x: 'a{char}b'\n"
    result = problem(parse_yaml(text, "org.yaml"))
    assert (result.line, result.col, result.message) == (5, 6, f"{name} is not allowed")
    path = write(tmp_path / "org.yaml", text)
    refused(path, f"{path}:5:6: {name} is not allowed")


def test_other_refused_characters_are_named_too() -> None:
    result = problem(parse_yaml("a: 1\nb: x\ufffe\n", "org.yaml"))
    assert (result.line, result.col, result.message) == (2, 5, "character U+FFFE is not allowed")


# -- 8. positions inside JSON's top-level objects ----------------------------------------


def test_a_field_of_organisation_or_governance_is_located_exactly() -> None:
    compact = '{"version": 1, "organisation": {"name": "X", "employees": -1}, "governance": {"c": {"d": [1, 2]}}}'
    pretty = json.dumps(json.loads(compact), indent=2)
    for text in (compact, pretty):
        _, positions = parse_json(text, "org.json")  # type: ignore[misc]
        for path, needle in [(("organisation", "employees"), '"employees"'), (("governance", "c", "d", 1), "2]")]:
            offset = text.index(needle) if needle != "2]" else text.index("2", text.index('"d"'))
            expected = (text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
            assert positions.locate(path) == expected, (path, text)
        key = (1, 16) if text is compact else (3, 3)
        assert positions.locate(("organisation",)) == positions.locate(("organisation", "absent")) == key


@pytest.mark.usefixtures("validation")
def test_organisation_fields_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text('{"version": 1, "organisation": {"name": "X", "employees": -1}}', encoding="utf-8")
    refused(path, f"{path}:1:46:", "(organisation.employees)")
    path.write_text(json.dumps({"version": 1, "organisation": {"name": "X", "employees": -1}}, indent=2))
    refused(path, f"{path}:5:5:", "(organisation.employees)")


# -- the machinery -----------------------------------------------------------------------


def test_the_limit_is_the_one_the_messages_name() -> None:
    assert yaml_source.MAX_DEPTH == MAX_DEPTH


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12+: C recursion has its own budget")
def test_the_decoders_nesting_is_bounded_on_this_python() -> None:
    assert nesting._PADDING_WORKS
    deepest = 0
    for levels in range(1, 120):
        try:
            nesting.nested(50, msgspec.json.decode, b"[" * levels + b"]" * levels)
        except RecursionError:
            break
        deepest = levels
    assert 30 <= deepest <= 50  # never more; a little less where C calls count too
