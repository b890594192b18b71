"""Property-based fuzzing of the loaders (tests/fuzzing.py has the profiles): whatever bytes a
file holds, reading it gives data or one plain diagnostic, never an exception; ``validate``
ends 0, 1 or 2 with no traceback; a document written as JSON and as YAML reads the same."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from engine.inputs.diagnostics import Diagnostic
from engine.inputs.json_source import parse_json
from engine.inputs.sources import RawFile, parse
from engine.inputs.yaml_source import parse_yaml
from tests import fuzzing
from tests.helpers import ROOT, cli

SEED_YAML = """organisation: {name: Acme, employees: 10}
departments:
  - {id: mkt, name: Marketing, uses_social_media: true}
accounts:
  - id: a1
    platform: x
    handle: "@acme"
    owner: ann
    mfa: true
    admins: [ann, bob]
    department: mkt
"""
SEED_JSON = json.dumps(yaml.safe_load(SEED_YAML), indent=1)
#: Fragments that have broken parsers before: nesting, aliases, merge keys, tags, escapes,
#: numbers out of range, control characters, BOMs, document markers, long runs.
TOKENS = [
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "- ",
    "&a ",
    "*a",
    "<<: *a",
    "!!python/object:os.system",
    "!!binary",
    "!!timestamp",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "\\ud800",
    "\\udc00",
    "\ud83d",
    "NaN",
    "-Infinity",
    "1e400",
    "9" * 5000,
    "\x00",
    "\x1b[2J",
    "\t",
    "\r",
    "\n",
    '"',
    "'",
    "\\",
    "\ufeff",
    "\ufffe",
    "#",
    "? ",
    "|\n",
    ">-\n",
    "~",
    "null",
    "true",
    "0x1F",
    "2026-02-30",
    "[" * 200,
    "{a: " * 150,
]
edits = st.lists(
    st.tuples(st.floats(0, 1), st.sampled_from(TOKENS) | st.text(max_size=4), st.integers(0, 3)), max_size=6
)


def mutate(text: str, changes: list[tuple[float, str, int]]) -> str:
    """``text`` with each change applied: at a relative position, delete a few characters
    and insert a fragment."""
    for where, insert, delete in changes:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + delete :]
    return text


def readable(result: Any) -> None:
    """Data, or one diagnostic in one plain line with a position."""
    if isinstance(result, Diagnostic):
        assert result.message and "\n" not in result.message and "Traceback" not in result.message
        assert result.line >= 0 and result.col >= 0
        assert len(result.format()) < 2000, result.format()[:200]
    else:
        positions = result.positions if hasattr(result, "positions") else result[1]
        positions.locate(())


@given(st.sampled_from([".yaml", ".json"]), edits, st.binary(max_size=64), st.booleans())
def _loaders_never_raise(suffix: str, changes: list[tuple[float, str, int]], junk: bytes, raw: bool) -> None:
    fuzzing.tried("loaders: mutated files and raw bytes")
    text = mutate(SEED_YAML if suffix == ".yaml" else SEED_JSON, changes)
    body = junk + text.encode("utf-8", "surrogatepass") if raw else text.encode("utf-8", "surrogatepass")
    readable(parse(RawFile(f"org{suffix}", suffix, body)))


def test_loaders_never_raise() -> None:
    fuzzing.run("loaders: mutated files and raw bytes", _loaders_never_raise)


@given(st.text(max_size=200))
def _parsers_take_any_text(text: str) -> None:
    fuzzing.tried("loaders: any text")
    readable(parse_yaml(text, "any.yaml"))
    readable(parse_json(text, "any.json"))


def test_parsers_take_any_text() -> None:
    fuzzing.run("loaders: any text", _parsers_take_any_text)


# (PyYAML's emitter writes NEL, LS and PS unquoted, as line breaks: its bug, not the reader's)
_text = st.text(st.characters(exclude_characters="\x85\u2028\u2029", exclude_categories=("Cs",)))
_key = st.text(st.characters(exclude_characters="\x85\u2028\u2029", exclude_categories=("Cs",)), min_size=1, max_size=8)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
documents = st.dictionaries(
    _key,
    st.recursive(
        _scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_key, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=5,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(documents)
def _json_and_yaml_read_the_same(document: dict[str, Any]) -> None:
    fuzzing.tried("loaders: JSON and YAML agree")
    from_json = parse_json(json.dumps(document), "doc.json")
    from_yaml = parse_yaml(yaml.safe_dump(document, allow_unicode=True), "doc.yaml")
    if isinstance(from_json, Diagnostic) or isinstance(from_yaml, Diagnostic):
        readable(from_json)
        readable(from_yaml)
        return
    assert _same(from_json[0], from_yaml[0]), (from_json[0], from_yaml[0])
    assert _same(from_json[0], document)


def test_json_and_yaml_read_the_same() -> None:
    fuzzing.run("loaders: JSON and YAML agree", _json_and_yaml_read_the_same)


@given(st.sampled_from([".yaml", ".json"]), edits)
def _validate_never_ends_in_an_internal_error(suffix: str, changes: list[tuple[float, str, int]]) -> None:
    fuzzing.tried("validate: mutated inventories")
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"org{suffix}"
        path.write_bytes(
            mutate(SEED_YAML if suffix == ".yaml" else SEED_JSON, changes).encode("utf-8", "surrogatepass")
        )
        result = cli("validate", str(path))
    assert result.exit_code in (0, 1, 2), result.output[-2000:]
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output[-2000:]


def test_validate_never_ends_in_an_internal_error() -> None:
    fuzzing.run("validate: mutated inventories", _validate_never_ends_in_an_internal_error)


WAIVERS = (ROOT / "examples" / "energy.waivers.yaml").read_text(encoding="utf-8")
POLICY = """version: 1
rules:
  - id: FZ-001
    title: owner
    description: every account has an owner, for the fuzzing seed
    lever: boundary
    stage: initialisation
    severity: high
    scope: account
    when: {not: {field: status, equals: retired}}
    require: {all: [{field: owner, exists: true}, {field: handle, matches: '^@'}, {field: admins, count: {gte: 1}}]}
    message: "Account {id} ({handle}) fails"
    remediation: fix it
    references: [MIP-2015]
"""
PACK = (
    "name: acme\nversion: 1.0.0\ndescription: fuzzed pack\nextends: baseline\n"
    "overrides:\n  BND-ACC-001: {severity: low}\n"
)


def _seed_report(directory: Path) -> str:
    report = directory / "seed.json"
    cli("check", str(ROOT / "examples" / "energy"), "--as-of", "2026-10-01", "--format", "json", "-o", str(report))
    return report.read_text(encoding="utf-8")


@fuzzing.examples(20)
@given(st.sampled_from(["waivers", "baseline", "policy", "pack", "report"]), edits)
def _every_file_option_ends_plainly(role: str, changes: list[tuple[float, str, int]]) -> None:
    fuzzing.tried("check/diff: mutated waivers, baselines, policies, packs, reports")
    import tempfile

    energy = str(ROOT / "examples" / "energy")
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        seed = {"waivers": WAIVERS, "policy": POLICY, "pack": PACK}.get(role) or _seed_report(directory)
        if role == "baseline":
            cli("check", energy, "--as-of", "2026-10-01", "--write-baseline", str(directory / "b.json"))
            seed = (directory / "b.json").read_text(encoding="utf-8")
        suffix = ".json" if role in ("baseline", "report") else ".yaml"
        path = directory / ("pack" if role == "pack" else "") / (("pack" if role == "pack" else role) + suffix)
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(mutate(seed, changes).encode("utf-8", "surrogatepass"))
        args = {
            "waivers": ["check", energy, "--waivers", str(path)],
            "baseline": ["check", energy, "--baseline", str(path)],
            "policy": ["check", energy, "--policies", str(path)],
            "pack": ["check", energy, "--policies", str(path.parent)],
            "report": ["diff", str(path), str(path)],
        }[role]
        result = cli(*args, "--as-of", "2026-10-01") if role != "report" else cli(*args)
    assert result.exit_code in (0, 1, 2), result.output[-2000:]
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output[-2000:]


def test_every_file_option_ends_plainly() -> None:
    fuzzing.run("check/diff: mutated waivers, baselines, policies, packs, reports", _every_file_option_ends_plainly)


def _vocabulary() -> tuple[list[str], list[str]]:
    """The inventory's top-level keys and every field name its schema knows."""
    schema = json.loads((ROOT / "schemas" / "inventory.schema.json").read_text(encoding="utf-8"))
    fields: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            fields.update(k for k in node.get("properties", {}) if isinstance(k, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(schema["properties"]), sorted(fields)


TOP, FIELDS = _vocabulary()
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(["", "a1", "mkt", "2026-01-01", "x", "@h"])
    | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=12,
)
_records = st.lists(st.dictionaries(st.sampled_from(FIELDS), _values, max_size=6), max_size=3)
structured = st.dictionaries(st.sampled_from(TOP), _records | _values, max_size=6)


@fuzzing.examples(15)
@given(structured, st.booleans())
def _structured_inventories_end_plainly(document: dict[str, Any], as_yaml: bool) -> None:
    fuzzing.tried("check: inventories built from the schema's own words")
    import tempfile

    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / ("org.yaml" if as_yaml else "org.json")
        path.write_text(yaml.safe_dump(document) if as_yaml else json.dumps(document), encoding="utf-8")
        result = cli("check", str(path), "--as-of", "2026-10-01", "--fail-on", "never", "--format", "json")
    assert result.exit_code in (0, 2), result.output[-2000:]
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output[-2000:]


def test_structured_inventories_end_plainly() -> None:
    fuzzing.run("check: inventories built from the schema's own words", _structured_inventories_end_plainly)


IMPORT_CSV = (
    "Platform,Handle,URL,Department,Created,MFA\n"
    "YouTube,,https://www.youtube.com/@Acme,Marketing,2024-04-03,yes\n"
    "twitter,@Acme,,Support,03/04/2024,no\n"
    'X,acme,https://x.com/acme,"Support, EMEA",,\n'
)
IMPORT_JSON = json.dumps(
    [
        dict(zip(IMPORT_CSV.splitlines()[0].split(","), row.split(","), strict=False))
        for row in IMPORT_CSV.splitlines()[1:3]
    ]
)


@fuzzing.examples(15)
@given(st.sampled_from([".csv", ".json", ".tsv"]), edits)
def _the_importer_ends_plainly(suffix: str, changes: list[tuple[float, str, int]]) -> None:
    fuzzing.tried("import: mutated CSV and JSON account lists")
    import tempfile

    seed = IMPORT_JSON if suffix == ".json" else IMPORT_CSV.replace(",", "\t") if suffix == ".tsv" else IMPORT_CSV
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / f"accounts{suffix}"
        path.write_bytes(mutate(seed, changes).encode("utf-8", "surrogatepass"))
        first = cli("import", str(path), "--mapping", "generic-accounts")
        second = cli("import", str(path), "--mapping", "generic-accounts")
    assert first.exit_code in (0, 1, 2), first.output[-2000:]
    assert "Traceback" not in first.output and "internal error" not in first.output, first.output[-2000:]
    assert first.output == second.output  # the same inventory, byte for byte, every time


def test_the_importer_ends_plainly() -> None:
    fuzzing.run("import: mutated CSV and JSON account lists", _the_importer_ends_plainly)
