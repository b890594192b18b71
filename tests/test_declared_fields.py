"""Fields an organisation defines (``fields:`` in pack.yaml and an inventory's top level).

A pack declaring ``accounts.contact_email: email`` and a rule requiring an official domain
runs on both evaluators, which agree; an undeclared field in an inventory or a policy stays an
error with ``file:line:col``; the same field declared twice with two types is an error naming
both places; a declared e-mail or web address is checked as one.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from engine.inputs import schemas
from engine.inputs.fields import editor_schema, header, schema_name
from engine.inputs.inventory import check
from tests.helpers import HAS_DURABLE, cli, declared, source, write

PACK = {
    "name": "registry",
    "version": "1.0.0",
    "description": "Accounts have an official contact address.",
    "extends": "baseline",
    "fields": {"accounts": {"contact_email": "email", "language": {"enum": ["en", "fr", "bilingual"]}}},
}
RULES = {
    "version": 1,
    "rules": [
        {
            "id": "REG-ACC-001",
            "title": "Official contact address",
            "description": "Every account has a contact address on the agency's own domain.",
            "lever": "boundary",
            "stage": "initialisation",
            "severity": "high",
            "scope": "account",
            "require": {"field": "contact_email", "matches": "@agency\\.gov$"},
            "message": "account {id} has no contact address on agency.gov",
            "remediation": "Give the account a shared agency.gov mailbox.",
            "references": ["OMB M-17-06"],
        }
    ],
}
INVENTORY = """\
organisation: {name: Agency, id: agency}
accounts:
  - {id: a1, platform: x, contact_email: social@agency.gov, language: en}
  - {id: a2, platform: x, contact_email: jo@gmail.com}
  - {id: a3, platform: facebook}
"""


def _pack(tmp_path: Path, pack: dict | None = None, rules: dict | None = None) -> Path:
    write(tmp_path / "pack" / "pack.yaml", pack or PACK)
    write(tmp_path / "pack" / "registry.yaml", rules or RULES)
    return tmp_path / "pack"


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_a_pack_declared_email_field_is_checked_by_a_rule_on_both_evaluators(tmp_path: Path, engine: str) -> None:
    if engine == "durable" and not HAS_DURABLE:
        pytest.skip("durable-rules is not installed (the smgov[durable] extra)")
    pack = _pack(tmp_path)
    inv = write(tmp_path / "org.yaml", INVENTORY)
    out = tmp_path / f"{engine}.json"
    args = ["check", str(inv), "--policies", str(pack), "--as-of", "2026-10-01", "--engine", engine]
    result = cli(*args, "--format", "json", "-o", str(out), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    failing = sorted(f["subject"]["id"] for f in report["findings"] if f["rule_id"] == "REG-ACC-001")
    assert failing == ["a2", "a3"]


def test_both_evaluators_give_the_same_report_with_declared_fields(tmp_path: Path) -> None:
    if not HAS_DURABLE:
        pytest.skip("durable-rules is not installed (the smgov[durable] extra)")
    pack = _pack(tmp_path)
    inv = write(tmp_path / "org.yaml", INVENTORY)
    reports = {}
    for engine in ("native", "durable"):
        out = tmp_path / f"{engine}.json"
        args = ["check", str(inv), "--policies", str(pack), "--as-of", "2026-10-01", "--engine", engine]
        assert cli(*args, "--format", "json", "-o", str(out), "--fail-on", "never").exit_code == 0
        data = json.loads(out.read_text())
        reports[engine] = [(f["rule_id"], f["subject"]["id"]) for f in data["findings"]]
    assert reports["native"] == reports["durable"] and reports["native"]


def test_an_undeclared_field_in_the_inventory_is_still_an_error_with_its_place(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    inv = write(tmp_path / "org.yaml", INVENTORY + "  - {id: a4, platform: x, contact_emial: x@agency.gov}\n")
    result = cli("check", str(inv), "--policies", str(pack), "--as-of", "2026-10-01")
    assert result.exit_code == 2
    assert f"{inv}:6:27: unknown key 'contact_emial'; did you mean 'contact_email'?" in result.output


def test_a_declared_field_unknown_without_its_pack(tmp_path: Path) -> None:
    inv = write(tmp_path / "org.yaml", INVENTORY)
    result = cli("validate", str(inv))
    assert result.exit_code == 2
    assert f"{inv}:3:27: unknown key 'contact_email'" in result.output


def test_an_undeclared_field_in_a_policy_is_an_error_with_its_place(tmp_path: Path) -> None:
    rules = json.loads(json.dumps(RULES))
    rules["rules"][0]["require"]["field"] = "contact_mail"
    pack = _pack(tmp_path, rules=rules)
    result = cli("policy", "validate", str(pack))
    assert result.exit_code == 2
    assert "registry.yaml:" in result.output
    assert "unknown field 'contact_mail' for account; did you mean 'contact_email'?" in result.output


def test_policy_validate_types_declared_fields(tmp_path: Path) -> None:
    rules = json.loads(json.dumps(RULES))
    rules["rules"][0]["require"] = {"field": "language", "equals": "de"}
    pack = _pack(tmp_path, rules=rules)
    result = cli("policy", "validate", str(pack))
    assert result.exit_code == 2
    assert "'de' can never match 'language': allowed values are en, fr, bilingual" in result.output
    rules["rules"][0]["require"] = {"field": "contact_email", "gt": 3}
    pack = _pack(tmp_path, rules=rules)
    assert "'gt' orders numbers only" in cli("policy", "validate", str(pack)).output
    assert cli("policy", "validate", str(_pack(tmp_path))).exit_code == 0


def test_a_declared_email_and_url_are_checked_as_such(tmp_path: Path) -> None:
    inv = write(
        tmp_path / "org.yaml",
        """\
organisation: {name: Agency}
fields:
  accounts:
    contact_email: email
    home: url
accounts:
  - {id: a1, platform: x, contact_email: not-an-address, home: www.agency.gov}
  - {id: a2, platform: x, contact_email: ok@agency.gov, home: "https://agency.gov/"}
""",
    )
    result = cli("validate", str(inv))
    assert result.exit_code == 2
    assert f"{inv}:7:27: 'not-an-address' is not in the required form: an e-mail address" in result.output
    assert f"{inv}:7:58: 'www.agency.gov' is not in the required form: a web address" in result.output
    assert "a2" not in result.output


def test_the_same_field_declared_twice_with_two_types_is_an_error_with_both_places(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    inv = write(
        tmp_path / "org.yaml",
        "organisation: {name: Agency}\nfields:\n  accounts:\n    contact_email: string\n",
    )
    result = cli("validate", str(inv), str(pack))
    assert result.exit_code == 2
    assert f"{inv}:4:5: accounts.contact_email is declared as string here and as email at " in result.output
    assert "pack.yaml:7:" in result.output


def test_the_same_type_declared_twice_is_fine() -> None:
    one = source({"organisation": {"name": "x"}, "fields": {"accounts": {"lang": {"list": "string"}}}}, "a.yaml")
    two = source({"fields": {"accounts": {"lang": {"list": "string", "description": "spoken"}}}}, "b.yaml")
    assert check([one, two]) == []


def test_declarations_are_checked() -> None:
    bad = source(
        {
            "organisation": {"name": "x"},
            "fields": {"acounts": {"x": "string"}, "accounts": {"owner": "string", "Bad": "string"}},
        }
    )
    messages = [d.message for d in check([bad])]
    assert "unknown collection 'acounts'; did you mean 'accounts'?" in messages
    assert "accounts already have a field 'owner' (string): declare new fields only" in messages
    assert "'Bad' is not a field name: lower-case letters, digits and _ only" in messages
    wrong = source({"organisation": {"name": "x"}, "fields": {"accounts": {"x": "emial"}}})
    assert any("'emial' is not one of: string" in d.message for d in check([wrong]))


def test_every_declared_type_is_accepted_and_typed_by_the_fast_check_and_jsonschema() -> None:
    block = {
        "accounts": {
            "s": "string",
            "b": "boolean",
            "i": "integer",
            "n": "number",
            "d": "date",
            "e": "email",
            "u": "url",
            "en": {"enum": ["a", "b"]},
            "l": {"list": "date"},
            "le": {"list": {"enum": ["x"]}},
        }
    }
    fields = declared(block)
    good = {"id": "a", "platform": "x", "s": "t", "b": True, "i": 3, "n": 1.5, "d": "2026-01-01"}
    good |= {"e": "a@b.org", "u": "http://x.org", "en": "a", "l": ["2026-01-02"], "le": ["x"]}
    base = {"organisation": {"name": "x"}, "accounts": [good]}
    assert check([source(base)], fields) == []
    name = schema_name(fields)
    typed = schemas.fast_check(name)
    assert typed is not None and typed(base) is True  # the fast check translates the effective schema
    assert jsonschema.Draft202012Validator(schemas.load_schema(name)).is_valid(base)
    bad_values = {"s": 1, "b": "yes", "i": 1.5, "n": "1", "d": "2026-02-30", "e": "a@b", "u": "ftp://x", "en": "c"}
    bad_values |= {"l": ["2026-13-01"], "le": ["y"]}
    for field_name, value in bad_values.items():
        bad = {**base, "accounts": [{**good, field_name: value}]}
        assert typed(bad) is False, field_name  # never looser than jsonschema
        where = f"accounts[0].{field_name}" + ("[0]" if field_name in ("l", "le") else "")
        assert [p.path for p in check([source(bad)], fields)] == [where], field_name


def test_the_editor_schema_describes_declared_fields_and_the_blocks() -> None:
    fields = declared({"accounts": {"contact_email": {"type": "email", "description": "The shared mailbox"}}})
    schema = editor_schema(fields)
    jsonschema.Draft202012Validator.check_schema(schema)
    account = schema["$defs"]["account"]["properties"]["contact_email"]
    assert account["description"] == "The shared mailbox"
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"fields": {"accounts": {"x": "email"}}, "recorded": {"accounts": ["id"]}})
    assert not validator.is_valid({"fields": {"accounts": {"x": "emial"}}})


def test_header_merges_recorded_fields_per_collection() -> None:
    one = source({"organisation": {"name": "x"}, "recorded": {"accounts": ["id", "platform"]}, "accounts": []})
    two = source({"recorded": {"accounts": ["owner"]}, "tools": [{"id": "t", "name": "t", "category": "listening"}]})
    found, problems = header([one, two])
    assert problems == []
    assert found.recorded == {"accounts": frozenset({"id", "platform", "owner"})}
    three = source({"accounts": [{"id": "a", "platform": "x"}]})  # says nothing: records every field
    assert header([one, three])[0].recorded == {}


def test_a_packs_test_cases_may_use_its_declared_fields(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    cases = {
        "version": 1,
        "as_of": "2026-10-01",
        "cases": [
            {
                "name": "contact addresses on the agency's domain pass, others fail",
                "rules": ["REG-ACC-001"],
                "inventory": {
                    "accounts": [
                        {"id": "ok", "platform": "x", "contact_email": "a@agency.gov"},
                        {"id": "gmail", "platform": "x", "contact_email": "a@gmail.com"},
                    ]
                },
                "expect": [{"rule": "REG-ACC-001", "subject": "gmail"}],
            }
        ],
    }
    write(pack / "tests" / "registry.test.yaml", cases)
    engines = ["native", *(["durable"] if HAS_DURABLE else [])]
    for engine in engines:
        result = cli("policy", "test", str(pack), "--engine", engine)
        assert result.exit_code == 0, result.output
        assert " 0 failed" in result.output
