"""The columnar fast check must never call a document valid that jsonschema rejects (and should
agree on valid ones too). Checked on hand-picked traps and on seeded random mutations."""

from __future__ import annotations

import copy
import random

import jsonschema
import pytest

from engine import schemas
from engine.schemas import load_schema
from tests.helpers import ROOT


def _example() -> dict:
    from engine.sources import read

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
    assert schemas.is_valid("inventory", document) is False


def test_missing_required_and_wrong_containers() -> None:
    document = copy.deepcopy(_example())
    del document["accounts"][3]["platform"]
    assert schemas.is_valid("inventory", document) is False
    document = copy.deepcopy(_example())
    document["accounts"][2] = ["not", "a", "record"]
    assert schemas.is_valid("inventory", document) is False
    document = copy.deepcopy(_example())
    document["accounts"] = {"id": "x"}
    assert schemas.is_valid("inventory", document) is False


def test_valid_documents_pass() -> None:
    document = _example()
    assert _reference(document) and schemas.is_valid("inventory", document)
    document = copy.deepcopy(document)
    document["accounts"][0]["mfa"] = None  # null is the same as absent on optional fields
    assert _reference(document) and schemas.is_valid("inventory", document)


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
    assert schemas.is_valid("inventory", document) == _reference(document)


@pytest.mark.parametrize(("index", "key", "value"), [(150, "trained", True), (7, "trained", -3), (199, "id", "x y")])
def test_uniform_collections_take_the_grouped_path_and_still_reject(index: int, key: str, value: object) -> None:
    document = {
        "organisation": {"name": "Uniform"},
        "departments": [{"id": "d1", "name": "D"}],
        "training": [{"id": f"t{i}", "topic": "basics", "department": "d1", "trained": i} for i in range(200)],
    }
    assert schemas.is_valid("inventory", document) and _reference(document)
    document["training"][index][key] = value
    assert schemas.is_valid("inventory", document) is False
    assert _reference(document) is False
