"""smgov import on our own dirty samples (tests/fixtures/import): every dirty value ends
normalised in the inventory or reported in the import report, never silently wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.inputs.importers import document
from engine.inputs.importers.mapping import built_in
from tests.helpers import ROOT, cli

SAMPLES = ROOT / "tests" / "fixtures" / "import"


def _run(name: str, mapping: str) -> document.Imported:
    return document.run([str(SAMPLES / name)], mapping)


def _codes(imported: document.Imported) -> dict[int, list[str]]:
    by_row: dict[int, list[str]] = {}
    for issue in imported.report.issues:
        by_row.setdefault(issue.row, []).append(issue.code)
    return {row: sorted(codes) for row, codes in sorted(by_row.items())}


def _accounts(imported: document.Imported) -> list[tuple[str, str, str | None]]:
    return [(a["id"], a["platform"], a.get("handle")) for a in imported.document["accounts"]]


def test_generic_accounts_sample() -> None:
    imported = _run("generic-accounts.csv", "generic-accounts")  # semicolons, a UTF-8 BOM
    assert _codes(imported) == {
        2: [
            "date-format",
            "department-created",
            "handle-from-url",
            "platform-spelling",
            "url-canonical",
            "value-spelling",
        ],
        3: ["duplicate", "platform-spelling"],  # the same channel, by handle
        4: ["handle-missing"],  # a youtu.be video link: no handle, URL kept as written
        5: ["date-format", "department-created", "platform-spelling"],  # YT
        6: ["platform-unknown"],  # Youtbe: did you mean youtube?
        7: ["date-format", "department-created", "handle-from-url", "platform-spelling", "url-canonical"],
        8: ["duplicate", "platform-spelling"],  # x.com/northwind is twitter.com/northwind
        9: [
            *["boolean-unreadable", "date-unreadable", "email-unreadable", "handle-from-url", "url-canonical"],
            *["value-spelling", "value-unknown"],
        ],
        10: ["handle-from-url", "platform-spelling", "url-canonical"],  # fb.com
        11: ["handle-missing", "id-from-content", "platform-spelling"],
        12: ["date-format", "handle-from-url", "platform-closed", "platform-spelling"],  # Google+
        13: ["platform-closed", "platform-spelling"],  # Vine
        14: ["no-platform"],  # a URL on no known platform, no platform column
        16: ["department-created", "handle-from-url", "platform-spelling", "url-canonical"],
        17: ["duplicate", "handle-from-url", "platform-spelling", "url-canonical"],  # two-language department
    }
    assert _accounts(imported) == [
        ("acc-youtube-northwindtraders", "youtube", "NorthwindTraders"),
        ("acc-youtube-ebce0e5c14", "youtube", None),
        ("acc-youtube-northwindhelp", "youtube", "@NorthwindHelp"),
        ("acc-youtbe-northwind-eu", "Youtbe", "northwind-eu"),
        ("acc-x-northwind", "x", "northwind"),
        ("acc-x-northwinddeals", "x", "NorthwindDeals"),
        ("acc-facebook-northwindtraders", "facebook", "NorthwindTraders"),
        ("acc-instagram-1f1341143d", "instagram", None),
        ("acc-googleplus-northwind", "googleplus", "Northwind"),
        ("acc-vine-northwindvine", "vine", "northwindvine"),
        ("acc-linkedin-northwind-traders", "linkedin", "northwind-traders"),
    ]
    first = imported.document["accounts"][0]
    assert first["url"] == "https://youtube.com/@NorthwindTraders"
    assert first["admins"] == ["alice", "bob"] and first["mfa"] is True and first["created_on"] == "2024-04-03"
    deals = imported.document["accounts"][5]
    assert deals["url"] == "https://x.com/NorthwindDeals" and "mfa" not in deals and "created_on" not in deals
    assert imported.document["accounts"][1]["url"] == "https://youtu.be/dQw4w9WgXcQ"  # a video, not a profile
    assert [s.unmapped for s in imported.report.sources] == [["Cost centre"]]
    # Recorded: the columns the sheet has (no Backup owner, Official, Purpose ... columns).
    assert imported.document["recorded"] == {
        "accounts": [
            "id",
            "platform",
            "handle",
            "url",
            "department",
            "owner",
            "admins",
            "mfa",
            "status",
            "created_on",
            "contact_email",
            "language",
        ]
    }
    messages = {i.code: i.message for i in imported.report.issues if i.row != 13}
    assert "did you mean youtube?" in messages["platform-unknown"]
    assert "closed on 2019-04-02" in messages["platform-closed"]


def test_us_digital_registry_sample() -> None:
    imported = _run("us-digital-registry.json", "us-digital-registry")
    assert _codes(imported) == {
        1: ["department-created", "platform-spelling", "url-canonical"],
        2: ["date-format", "handle-from-url", "url-canonical"],  # empty account: handle from the URL
        3: ["duplicate", "platform-spelling"],  # twitter.com and x.com, one account
        4: ["date-format", "department-created", "platform-spelling"],  # YT, "March 5, 2018"
        5: ["handle-url-mismatch", "platform-closed", "platform-spelling"],  # google_plus
        6: ["date-unreadable", "platform-closed"],  # storify
        7: ["platform-spelling", "url-canonical"],  # flikr
        8: ["date-unreadable", "handle-from-url", "platform-from-url", "url-canonical", "value-unknown"],
        9: ["handle-missing", "id-from-content", "platform-unknown"],  # myface, no URL
        10: ["date-format", "url-canonical"],
        11: ["duplicate", "platform-spelling", "url-canonical"],
    }
    assert [a[0] for a in _accounts(imported)] == [
        "acc-x-northwindgov",
        "acc-youtube-northwindgov",
        "acc-youtube-northwindgobierno",
        "acc-googleplus-northwind_plus",
        "acc-storify-northwindstories",
        "acc-flickr-northwind",
        "acc-instagram-northwindgov",
        "acc-myface-fe5fcbb3b0",
        "acc-facebook-northwindfb",
    ]
    first = imported.document["accounts"][0]
    assert first["created_on"] == "2016-01-20" and first["department"] == "department-of-examples"
    assert first["official"] is True and first["verified"] is True


@pytest.mark.parametrize("name", ["gc-social-media.csv", "gc-social-media.json"])
def test_gc_social_media_samples(name: str) -> None:
    imported = _run(name, "gc-social-media")
    accounts = {a["id"]: a for a in imported.document["accounts"]}
    codes = {code for row in _codes(imported).values() for code in row}
    # Two-language department names merged by the mapping's aliases: Parcs Canada is Parks Canada.
    assert accounts["acc-snapchat-parcs.northwind"]["department"] == "parks-canada"
    assert accounts["acc-snapchat-parks.northwind"]["department"] == "parks-canada"
    assert "Parcs Canada" not in {d["name"] for d in imported.document["departments"]}
    # Labels and HTML of the JSON form are gone; twitter.com?lang=fr is x.com.
    assert accounts["acc-x-nwc_fra"]["url"] == "https://x.com/NWC_fra"
    assert accounts["acc-x-nwc_fra"]["department"] == "northwind-canada"
    assert accounts["acc-instagram-nwc_gram"]["platform"] == "instagram"  # Intagram, read from the URL
    assert accounts["acc-discourse-402ff0125e"]["platform"] == "Discourse"  # unknown, kept, reported
    assert {"duplicate", "platform-closed", "platform-unknown", "platform-from-url", "handle-from-url"} <= codes
    if name.endswith(".csv"):
        assert _codes(imported)[10] == ["department-created", "handle-from-url", "url-canonical"]
        assert accounts["acc-x-nwc_weather"]["url"] == "https://x.com/NWC_Weather"  # twitter.com/@name
        assert accounts["acc-x-nwc_meteo"]["department"] == "environment-and-climate-change-canada"  # alias
        assert len(accounts) == 14 and _codes(imported)[15] == [
            "duplicate",
            "handle-from-url",
            "platform-spelling",
            "url-canonical",
        ]
    else:
        assert _codes(imported)[6] == ["duplicate", "handle-from-url", "platform-spelling"]
        assert len(accounts) == 7


def test_every_built_in_mapping_has_a_sample_and_is_listed() -> None:
    names = set(built_in())
    assert names == {"generic-accounts", "us-digital-registry", "gc-social-media"}
    samples = {p.stem for p in SAMPLES.iterdir()}
    assert names <= samples
    listed = cli("import", "--list-mappings")
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == sorted(names)


def test_reimport_is_byte_identical_with_the_same_ids(tmp_path: Path) -> None:
    for fmt in ("json", "yaml"):
        first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        for out in (first, second):
            result = cli(
                "import",
                str(SAMPLES / "generic-accounts.csv"),
                "-m",
                "generic-accounts",
                "-o",
                str(out),
                "--format",
                fmt,
            )
            assert result.exit_code == 0, result.output
        assert first.read_bytes() == second.read_bytes()


def test_ids_survive_added_and_reordered_rows(tmp_path: Path) -> None:
    lines = (SAMPLES / "gc-social-media.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([header, "New one,X,Northwind Canada,English,https://x.com/new_one", *reversed(rows)]))
    before = {
        a["url"]: a["id"] for a in _run("gc-social-media.csv", "gc-social-media").document["accounts"] if "url" in a
    }
    after = {
        a["url"]: a["id"] for a in document.run([str(changed)], "gc-social-media").document["accounts"] if "url" in a
    }
    assert all(after[url] == ident for url, ident in before.items() if url in after)
    assert len([u for u in before if u in after]) >= 12


def test_a_baseline_made_before_a_reimport_still_matches(tmp_path: Path) -> None:
    inventory = tmp_path / "org.json"
    args = ["import", str(SAMPLES / "generic-accounts.csv"), "-m", "generic-accounts", "-o", str(inventory)]
    assert cli(*args).exit_code == 0
    baseline = tmp_path / "baseline.json"
    made = cli(
        "check", str(inventory), "--as-of", "2026-10-01", "--write-baseline", str(baseline), "--fail-on", "never"
    )
    assert made.exit_code == 0, made.output
    assert json.loads(baseline.read_text())["findings"], "the sample must give findings to compare"
    assert cli(*args).exit_code == 0  # the same file imported again, over the inventory
    again = cli("check", str(inventory), "--as-of", "2026-10-01", "--baseline", str(baseline), "--format", "json")
    assert again.exit_code == 0, again.output  # nothing new: every finding matched the baseline
    report = json.loads(again.output)
    assert report["baseline"]["new"] == 0 and report["baseline"]["existing"] > 0


def test_the_closed_platform_rule_fires_on_imported_accounts(tmp_path: Path) -> None:
    inventory = tmp_path / "org.json"
    assert (
        cli("import", str(SAMPLES / "generic-accounts.csv"), "-m", "generic-accounts", "-o", str(inventory)).exit_code
        == 0
    )
    result = cli("check", str(inventory), "--as-of", "2026-10-01", "--format", "json", "--fail-on", "never")
    found = [f["subject"]["id"] for f in json.loads(result.output)["findings"] if f["rule_id"] == "BND-ACC-012"]
    # Vine is live; the Google+ account is retired (status column), so only Vine is a finding.
    assert found == ["acc-vine-northwindvine"]


def test_imported_fields_and_recorded_work_end_to_end(tmp_path: Path) -> None:
    """The import declares the columns of the organisation's own (language, display_name)
    and states what it recorded: rules on the declared fields run on both evaluators, and a
    rule on a field the list does not record (owner) is not assessed rather than a finding."""
    inventory = tmp_path / "gc.json"
    assert (
        cli("import", str(SAMPLES / "gc-social-media.csv"), "-m", "gc-social-media", "-o", str(inventory)).exit_code
        == 0
    )
    data = json.loads(inventory.read_text(encoding="utf-8"))
    assert data["fields"] == {"accounts": {"display_name": "string", "language": {"enum": ["en", "fr", "bilingual"]}}}
    assert "owner" not in data["recorded"]["accounts"] and "language" in data["recorded"]["accounts"]
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        "name: gc\nversion: 1.0.0\ndescription: ours\nextends: baseline\n"
        "fields:\n  accounts:\n    language: {enum: [en, fr, bilingual]}\n"
    )
    (pack / "rules.yaml").write_text(
        "version: 1\nrules:\n  - id: GC-LNG-001\n    title: Accounts are bilingual or come in pairs\n"
        "    description: Official languages.\n    lever: boundary\n    stage: initialisation\n    severity: low\n"
        "    scope: account\n    require: {field: language, equals: bilingual}\n"
        "    message: 'Account {id} has no language'\n    remediation: Record its language.\n"
        "    references: [Altimeter-2013]\n"
    )
    reports = {}
    for engine in ("native", "durable"):
        result = cli(
            "check",
            str(inventory),
            "--policies",
            str(pack),
            "--as-of",
            "2026-10-01",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--engine",
            engine,
        )
        assert result.exit_code == 0, result.output
        reports[engine] = json.loads(result.output)
    found = {e: sorted((f["rule_id"], f["subject"]["id"]) for f in r["findings"]) for e, r in reports.items()}
    assert found["native"] == found["durable"]
    native = found["native"]
    languages = [s for r, s in native if r == "GC-LNG-001"]
    assert "acc-x-nwc_eng" in languages and "acc-x-nwc_fra" in languages  # English -> en, Français -> fr
    assert "acc-instagram-nwc_gram" not in languages and "acc-linkedin-northwind-canada" not in languages
    assert not [f for f in native if f[0] == "BND-ACC-001"]  # owners are not recorded: not assessed
    status = {r["id"]: r.get("status") for r in reports["native"]["rules"]}
    assert status["BND-ACC-001"] == "not_assessed"
    assert [s for r, s in native if r == "BND-ACC-012"] == ["acc-googleplus-northwindca", "acc-vine-northwindca"]
