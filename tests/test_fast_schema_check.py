"""The typed fast check (msgspec) must never call a document valid that jsonschema rejects, and
should agree on valid ones too, or bulk inventories lose their fast path. Checked on hand-picked
traps, on seeded random mutations, and on the edges where the two could differ."""

from __future__ import annotations

import copy
import json
import random
import re

import jsonschema
import pytest
import yaml

from engine.inputs import schemas
from engine.inputs.schemas import load_schema
from engine.inputs.typedcheck import TypedValidator, Unsupported
from tests.helpers import ROOT


def fast(document: dict, json_types: bool = False) -> bool:
    check = schemas.fast_check("inventory")
    assert check is not None, "the inventory schema must translate to the typed fast check"
    return check(document, json_types)


def _example() -> dict:
    from engine.inputs.sources import read

    source = read(ROOT / "examples" / "energy" / "inventory.yaml")
    return source.data  # type: ignore[union-attr]


def _reference(document: dict) -> bool:
    return jsonschema.Draft202012Validator(load_schema("inventory")).is_valid(document)


TRAPS = [
    ("accounts", 0, "mfa", 1),  # 1 is not a boolean, though True == 1
    ("accounts", 0, "mfa", "true"),
    ("accounts", 0, "admins", [True]),  # list of a bool where strings are required
    ("accounts", 0, "admins", ["a", "a"]),  # uniqueItems
    ("accounts", 0, "admins", [["a"]]),
    ("accounts", 0, "admins", [""]),  # items have a minimum length
    ("accounts", 0, "admins", "ann"),  # a string is not a list
    ("accounts", 0, "admins", ["ann", 3]),
    ("accounts", 0, "status", "actve"),
    ("accounts", 0, "id", None),  # required fields are not nullable
    ("accounts", 0, "id", "has space"),
    ("accounts", 0, "onwer", "x"),  # unknown key
    ("accounts", 0, "created_on", "2026-1-1"),
    ("training", 0, "trained", -1),
    ("training", 0, "trained", 1.5),
    ("training", 0, "headcount", True),
    ("metrics", 0, "target", "10"),
]


@pytest.mark.parametrize(("collection", "index", "key", "value"), TRAPS)
def test_traps_are_rejected(collection: str, index: int, key: str, value: object) -> None:
    document = copy.deepcopy(_example())
    document[collection][index][key] = value
    assert _reference(document) is False
    assert fast(document) is False
    assert schemas.is_valid("inventory", document) is False


def test_missing_required_and_wrong_containers() -> None:
    document = copy.deepcopy(_example())
    del document["accounts"][3]["platform"]
    assert fast(document) is False and schemas.is_valid("inventory", document) is False
    document = copy.deepcopy(_example())
    document["accounts"][2] = ["not", "a", "record"]
    assert fast(document) is False and schemas.is_valid("inventory", document) is False
    document = copy.deepcopy(_example())
    document["accounts"] = {"id": "x"}
    assert fast(document) is False and schemas.is_valid("inventory", document) is False


def test_valid_documents_pass() -> None:
    document = _example()
    assert _reference(document) and fast(document)
    document = copy.deepcopy(document)
    document["accounts"][0]["mfa"] = None  # null is the same as absent on optional fields
    assert _reference(document) and fast(document)


VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.5,
    "",
    "x",
    "2026-01-01",
    "2026-13-01",
    "a b",
    [],
    ["a"],
    ["a", "a"],
    [1],
    {},
    {"a": 1},
    "active",
    "password_manager",
]


@pytest.mark.parametrize("seed", range(40))
def test_random_mutations_agree_with_jsonschema(seed: int) -> None:
    rng = random.Random(seed)
    document = copy.deepcopy(_example())
    for _ in range(rng.randint(1, 3)):
        collection = rng.choice([k for k, v in document.items() if isinstance(v, list) and v])
        item = rng.choice(document[collection])
        key = rng.choice([*item, "unknown_key"])
        item[key] = copy.deepcopy(rng.choice(VALUES))
    assert fast(document) == _reference(document)


@pytest.mark.parametrize(("index", "key", "value"), [(150, "trained", True), (7, "trained", -3), (199, "id", "x y")])
def test_one_bad_item_among_many_is_found(index: int, key: str, value: object) -> None:
    document = {
        "organisation": {"name": "Uniform"},
        "departments": [{"id": "d1", "name": "D"}],
        "training": [{"id": f"t{i}", "topic": "basics", "department": "d1", "trained": i} for i in range(200)],
    }
    assert fast(document) and _reference(document)
    document["training"][index][key] = value
    assert fast(document) is False
    assert _reference(document) is False


EDGES = [
    # (where, value, valid for jsonschema): the places msgspec and JSON Schema could part ways
    (("organisation", "employees"), 1.0, True),  # an integer to JSON Schema; msgspec is stricter
    (("organisation", "employees"), 10**30, True),
    (("organisation", "employees"), True, False),
    (("organisation", "name"), "é", True),  # minLength counts characters, not bytes
    (("organisation", "name"), "", False),
    (("organisation", "id"), "x\n", True),  # Python's $ matches before a final newline
    (("organisation", "id"), "x\ny", False),
    (("organisation", "assessed_on"), "2026-02-28", True),
    (("organisation", "assessed_on"), "2026-02-30", True),  # the pattern's business; a later layer rejects it
    (("organisation", "assessed_on"), "2026-2-28", False),
    (("organisation", "assessed_on"), "2026-02-28\n", True),
    (("organisation", "assessed_on"), "٢٠٢٦-٠٢-٢٨", True),  # Python's \d takes any decimal digit
    (("organisation", "assessed_on"), "2026-02-28T10:00", False),
    (("version",), 1, True),
    (("version",), 1.0, True),
    (("version",), True, False),
    (("version",), 2, False),
    (("governance", "long_term_plan_years"), 2.5, True),
    (("governance", "long_term_plan_years"), -0.5, False),
    (("governance", "centre_of_excellence", "departments"), ["d", "d"], False),  # uniqueItems, nested
    (("governance", "centre_of_excellence", "departments"), ["d", "e"], True),
    (("governance", "centre_of_excellence", "departments"), ["d e"], False),  # pattern, nested
    (("governance", "centre_of_excellence", "budgt"), True, False),  # unknown key, nested
    (("governance", "centre_of_excellence"), None, True),
    (("governance", "centre_of_excellence"), [], False),
]


@pytest.mark.parametrize(("where", "value", "valid"), EDGES)
def test_edges_never_pass_the_fast_check_when_invalid(where: tuple[str, ...], value: object, valid: bool) -> None:
    document = copy.deepcopy(_example())
    target = document
    for key in where[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[where[-1]] = value
    assert _reference(document) is valid
    if fast(document):
        assert valid, "the fast check accepted what jsonschema rejects"
    assert schemas.is_valid("inventory", document) is valid  # either way, the answer is jsonschema's


def test_alarm_thresholds_take_numbers_or_strings() -> None:
    document = copy.deepcopy(_example())
    document.setdefault("alarms", [])
    base = {"id": "al-x", "metric": document["metrics"][0]["id"]}
    for threshold, valid in [(3, True), (2.5, True), ("high", True), (None, True), (True, False), ([], False)]:
        document["alarms"] = [{**base, "threshold": threshold}]
        assert _reference(document) is valid
        assert fast(document) is valid


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "string"}}},  # open record: extra keys allowed
        {"type": "object", "additionalProperties": False, "properties": {"a": {"oneOf": [{"type": "string"}]}}},
        {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string", "format": "email"}}},
        {"type": "object", "additionalProperties": False, "properties": {"a": {"enum": [1.5]}}},
    ],
)
def test_what_cannot_be_translated_exactly_is_refused(schema: dict) -> None:
    with pytest.raises(Unsupported):
        TypedValidator(schema)


def test_every_date_field_is_read_as_a_real_date_by_the_fast_check() -> None:
    """The inventory step skips its calendar check when the fast check passed, because msgspec
    reads every date-pattern field as a real date. That holds only if every field the catalogue
    calls a date (a pattern with a 4-digit year) has exactly the pattern that becomes a date."""
    from engine.inputs.typedcheck import _DATE_PATTERN

    patterns: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.append(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load_schema("inventory"))
    dates = [p for p in patterns if "\\d{4}-" in p]
    assert dates and set(dates) == {_DATE_PATTERN}


def test_a_date_that_is_not_real_is_still_reported(tmp_path) -> None:
    """Not a real date: the fast check says no, jsonschema says yes, the calendar check reports it."""
    import json

    from tests.helpers import cli

    path = tmp_path / "org.json"
    path.write_text(json.dumps({"organisation": {"name": "x", "assessed_on": "2026-02-30"}}))
    result = cli("validate", str(path))
    assert result.exit_code == 2
    assert "'2026-02-30' is not a real calendar date" in result.output


def test_a_date_object_is_no_string() -> None:
    """msgspec takes a date object where it reads dates; JSON Schema wants a string there."""
    import datetime as dt

    document = copy.deepcopy(_example())
    document["organisation"]["assessed_on"] = dt.date(2026, 1, 1)
    assert _reference(document) is False
    assert fast(document) is False


def test_unique_items_that_are_lists_are_left_to_jsonschema() -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "array", "items": {"type": "array"}, "uniqueItems": True}},
    }
    check = TypedValidator(schema)
    assert check({"a": [[1], [2]]}) is False  # cannot tell cheaply: no, and jsonschema decides
    assert check({"a": []}) is True


def test_json_sources_skip_only_the_string_check_of_dates(tmp_path) -> None:
    """A JSON file holds no date objects: its dates are strings by construction, so only the
    check that they are strings is skipped; everything else still runs."""
    import datetime as dt

    from engine.inputs.sources import read

    example = _example()
    as_json, as_yaml = tmp_path / "org.json", tmp_path / "org.yaml"
    as_json.write_text(json.dumps(example, default=str))
    as_yaml.write_text(yaml.safe_dump(json.loads(as_json.read_text())))
    assert read(as_json).json_types is True
    assert read(as_yaml).json_types is False  # PyYAML makes date objects of unquoted dates
    assert fast(example, True) is fast(example) is True
    dated = copy.deepcopy(example)
    dated["organisation"]["assessed_on"] = dt.date(2026, 1, 1)
    assert fast(dated) is False
    assert fast(dated, True) is True  # only because a JSON document cannot hold this
    unknown = copy.deepcopy(example)
    unknown["organisation"]["colour"] = "red"
    assert fast(unknown, True) is False


def _errors_seen(errors) -> list[tuple]:
    return [(tuple(e.absolute_path), e.message, e.validator) for err in errors for e in schemas._leaves(err)]


@pytest.mark.parametrize("seed", range(60))
def test_narrowed_jsonschema_reports_what_a_whole_walk_reports(monkeypatch, seed: int) -> None:
    """Large collections are left out of jsonschema's walk but for the items the typed check
    cannot clear: the same errors, paths and order as walking the whole document."""
    monkeypatch.setattr(schemas, "NARROW_FROM", 1)  # every collection narrowed
    rng = random.Random(seed)
    document = copy.deepcopy(_example())
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.15:  # the top level: a wrong organisation, an unknown key, a collection not a list
            document[rng.choice(["organisation", "unknown_top", *document])] = copy.deepcopy(rng.choice(VALUES))
            continue
        lists = [k for k, v in document.items() if isinstance(v, list) and v]
        if not lists:
            continue
        items = document[rng.choice(lists)]
        index = rng.randrange(len(items))
        if not isinstance(items[index], dict) or rng.random() < 0.05:
            items[index] = copy.deepcopy(rng.choice(VALUES))  # an item that is no record
            continue
        key = rng.choice([*items[index], "unknown_key"])
        items[index][key] = copy.deepcopy(rng.choice(VALUES))
    whole = _errors_seen(schemas._full("inventory").iter_errors(document))
    assert _errors_seen(schemas._errors("inventory", document)) == whole


def test_a_large_collection_is_narrowed_to_its_bad_items(monkeypatch) -> None:
    document = {
        "organisation": {"name": "Uniform", "colour": "red"},
        "departments": [{"id": "d1", "name": "D"}],
        "training": [{"id": f"t{i}", "topic": "basics", "department": "d1", "trained": i} for i in range(3000)],
    }
    document["training"][7]["trained"] = -3
    document["training"][2999]["hue"] = "blue"
    walked: list[int] = []
    original = schemas._uncleared

    def uncleared(items, clears):
        found = list(original(items, clears))
        walked.extend(found)
        return iter(found)

    monkeypatch.setattr(schemas, "_uncleared", uncleared)
    seen = _errors_seen(schemas._errors("inventory", document))
    assert walked == [7, 2999]  # only these items were walked by jsonschema
    assert seen == _errors_seen(schemas._full("inventory").iter_errors(document))
    assert [path for path, _, _ in seen] == [("organisation",), ("training", 7, "trained"), ("training", 2999)]


PATTERNS = [
    r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
    r"^\d{4}-\d{2}-\d{2}$",
    r"^[a-z][a-z0-9_]*$",
    r"^x*$",
    r"^[^,]+$",  # a negated class: can match a newline
    r"^\s*\S+$",  # \s matches a newline
    r"^.*$",
    r"^(a|b)c$",  # alternation: the slow path
    r"^a$\n?",  # not ending in $: the slow path
    r"^https?://\S+$",
]
ALPHABET = ["a", "b", "c", "x", "Z", "0", "7", "-", ".", "_", ":", ",", " ", "\t", "é", "/", "http://", "\r", "\n"]


@pytest.mark.parametrize("seed", range(30))
def test_many_values_checked_in_one_pass_agree_with_each_alone(seed: int) -> None:
    from engine.inputs.typedcheck import _matches

    rng = random.Random(seed)
    pattern = rng.choice(PATTERNS)
    good = [v for v in (f"{rng.choice('abxZ')}{i}{rng.choice(['', '.x', ':7', '-a'])}" for i in range(1500))]
    if pattern == r"^\d{4}-\d{2}-\d{2}$":
        good = [f"{2000 + i % 30}-0{1 + i % 9}-1{i % 10}" for i in range(1500)]
    values = list(good)
    for _ in range(rng.randint(0, 3)):  # some values that may not match
        values[rng.randrange(len(values))] = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6)))
    expected = all(re.search(pattern, v) for v in values)
    assert _matches(pattern, True, values) is expected


def test_the_inventorys_patterns_are_checked_in_one_pass() -> None:
    from engine.inputs.typedcheck import _lines_apart

    check = schemas.fast_check("inventory")
    assert check is not None
    patterns = {arg[0] for _, kind, arg in check.checks if kind == "pattern"}
    assert patterns and all(map(_lines_apart, patterns))
    assert not any(map(_lines_apart, [r"^(a|b)$", r"^[^,]+$", r"^a\s$", r"a$", r"^a", r"^a\$"]))


PLAIN = ["^[A-Za-z0-9][A-Za-z0-9._:-]*$", "^[a-z][a-z0-9_]*$", "^a+b?$", "^.+$", "^[é-ü]+$", "^x{2,3}$", "^(ab)*c$"]
ESCAPED = ["^\\d{4}$", "^\\w+$", "^a\\.b$"]


@pytest.mark.parametrize("pattern", PLAIN + ESCAPED)
def test_many_values_are_matched_in_one_pass_as_one_by_one(pattern: str) -> None:
    """More than 1,000 distinct values are checked joined by newlines: a plain ``^P$`` by RE2
    matching ``P(\\nP)*`` whole, one with an escape (``\\d`` is Unicode to Python's ``re``, the
    reference, ASCII to RE2) by counting ``re``'s matches; both as ``re.search`` value by value."""
    from engine.inputs import typedcheck

    assert (typedcheck._whole_lines(pattern) is not None) is (pattern in PLAIN)
    alphabet = ["a", "b", "c", "x", "A", "0", "_", ".", ":", "-", "é", "ü", "\u0660", " ", "ab", ""]
    rng = random.Random(pattern)
    for _ in range(60):
        values = list(
            dict.fromkeys("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(400))
        )
        values += [f"x{n}" for n in range(1100)]
        if rng.random() < 0.5:  # all good: the answer must be yes, not only no
            values = [v for v in values if re.search(pattern, v)] + ["xx", "ab" * 3 + "c"] * 600
            values = list(dict.fromkeys(v for v in values if re.search(pattern, v)))
        expected = all(re.search(pattern, v) for v in values)
        assert typedcheck._matches(pattern, True, values) is expected, pattern
