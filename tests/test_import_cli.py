"""smgov import from the command line: sources of every kind, the report, --strict, bad
input with positions, exit codes, and outputs written atomically and never over an input."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import jsonschema
import pytest

from engine.inputs.importers import document
from engine.inputs.schemas import load_schema
from tests.helpers import ROOT, cli, write

SAMPLES = ROOT / "tests" / "fixtures" / "import"
ROWS = [
    ["Platform", "Handle", "URL", "Department", "Created", "MFA"],
    ["YouTube", "", "https://www.youtube.com/@Acme", "Marketing", "2024-04-03", "yes"],
    ["twitter", "@Acme", "", "Support", "03/04/2024", "no"],
    ["X", "acme", "https://x.com/acme", "Support", "", ""],
]


def _expected(tmp_path: Path) -> list[dict]:
    csv = tmp_path / "rows.csv"
    csv.write_text("\n".join(",".join(r) for r in ROWS) + "\n", encoding="utf-8")
    return document.run([str(csv)], "generic-accounts").document["accounts"]


def test_xlsx_gives_what_the_same_csv_gives(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter", reason="the test extra writes XLSX with xlsxwriter")
    path = tmp_path / "rows.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    sheet = book.add_worksheet("Accounts")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    assert document.run([str(path)], "generic-accounts").document["accounts"] == _expected(tmp_path)


def _ods(path: Path, rows: list[list[str]]) -> None:
    """A minimal OpenDocument spreadsheet (the format's required parts only)."""
    cells = "".join(
        "<table:table-row>"
        + "".join(f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>' for v in row)
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Accounts">{cells}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("content.xml", content)
        ods.writestr("META-INF/manifest.xml", manifest)


def test_ods_gives_what_the_same_csv_gives(tmp_path: Path) -> None:
    pytest.importorskip("python_calamine", reason="reading spreadsheets needs the spreadsheets extra")
    path = tmp_path / "rows.ods"
    _ods(path, ROWS)
    assert document.run([str(path)], "generic-accounts").document["accounts"] == _expected(tmp_path)


def test_csv_in_another_encoding_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("Platform\tHandle\tDepartment\nFacebook\tCafé\tCommunication\n".encode("cp1252"))
    refused = cli("import", str(path), "-m", "generic-accounts")
    assert refused.exit_code == 2 and "not utf-8-sig text; give its encoding with --encoding" in refused.output
    result = cli("import", str(path), "-m", "generic-accounts", "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    account = json.loads(result.stdout)["accounts"][0]
    assert account == {
        "id": "acc-facebook-cafe",
        "platform": "facebook",
        "handle": "Café",
        "department": "communication",
    }


def test_report_json_matches_its_schema_and_text_goes_to_stderr(tmp_path: Path) -> None:
    out, report = tmp_path / "org.yaml", tmp_path / "import.json"
    result = cli(
        "import",
        str(SAMPLES / "us-digital-registry.json"),
        "-m",
        "us-digital-registry",
        "-o",
        str(out),
        "--format",
        "yaml",
        "--report",
        str(report),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema("import-report")).validate(data)
    assert data["counts"] == {
        "rows": 11,
        "accounts": 9,
        "departments_created": 2,
        "dropped": 5,
        "changed": 20,
        "doubtful": 6,
    }
    assert f"{SAMPLES / 'us-digital-registry.json'}:3:-: dropped: row left out: the same account as" in result.stderr
    assert result.stdout == ""  # the inventory went to -o
    assert out.read_text(encoding="utf-8").startswith("# Written by smgov import")
    assert cli("validate", str(out)).exit_code == 0


def test_strict_exits_2_and_writes_no_inventory(tmp_path: Path) -> None:
    out, report = tmp_path / "org.json", tmp_path / "import.json"
    result = cli(
        "import",
        str(SAMPLES / "gc-social-media.csv"),
        "-m",
        "gc-social-media",
        "-o",
        str(out),
        "--report",
        str(report),
        "--strict",
    )
    assert result.exit_code == 2
    assert "--strict" in result.stderr and not out.exists()
    assert json.loads(report.read_text())["counts"]["dropped"] == 2
    clean = tmp_path / "clean.csv"
    clean.write_text("Platform,Handle\nfacebook,acme\n", encoding="utf-8")
    assert cli("import", str(clean), "-m", "generic-accounts", "-o", str(out), "--strict").exit_code == 0
    assert json.loads(out.read_text())["accounts"] == [
        {"id": "acc-facebook-acme", "platform": "facebook", "handle": "acme"}
    ]


def test_a_missing_column_is_bad_input_with_a_suggestion(tmp_path: Path) -> None:
    mapping = write(tmp_path / "map.yaml", {"version": 1, "accounts": {"platform": {"column": "Platfrom"}}})
    source = tmp_path / "a.csv"
    source.write_text("Platform,Handle\nx,acme\n", encoding="utf-8")
    result = cli("import", str(source), "-m", str(mapping))
    assert result.exit_code == 2
    assert f"{source}:1:0: no column 'Platfrom' for platform (mapping map); did you mean 'Platform'?" in result.stderr


def test_a_bad_mapping_is_reported_with_its_position(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "version: 1\naccounts:\n  platform: {column: P}\n  onwer: {column: O}\n  platform_closed_on: {value: x}\n"
    )
    source = tmp_path / "a.csv"
    source.write_text("P,O\nx,alice\n", encoding="utf-8")
    result = cli("import", str(source), "-m", str(mapping))
    assert result.exit_code == 2
    assert f"{mapping}:4:3: 'onwer' is not an account field of the inventory; did you mean 'owner'?" in result.stderr
    assert f"{mapping}:5:3: 'platform_closed_on' is read-only (smgov gives it)" in result.stderr
    assert "Traceback" not in result.output
    unknown = cli("import", str(source), "-m", "generic-acounts")
    assert unknown.exit_code == 2 and "did you mean 'generic-accounts'?" in unknown.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01PK binary", "binary file"),
        (b"Platform,,Handle\nx,y,z\n", "column 2 has no name in the header row"),
        (b"Platform,platform\nx,y\n", "column 'platform' appears twice (also column 1)"),
    ],
)
def test_unreadable_csv_is_bad_input(tmp_path: Path, content: bytes, message: str) -> None:
    source = tmp_path / "a.csv"
    source.write_bytes(content)
    result = cli("import", str(source), "-m", "generic-accounts")
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_json_without_the_records_path_and_a_damaged_workbook(tmp_path: Path) -> None:
    source = write(tmp_path / "a.json", json.dumps({"data": []}))
    result = cli("import", str(source), "-m", "us-digital-registry")
    assert result.exit_code == 2 and "no 'results' under $ (there: data)" in result.stderr
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = cli("import", str(broken), "-m", "generic-accounts")
    assert result.exit_code == 2 and "not a readable spreadsheet" in result.stderr


def test_import_never_writes_over_its_source(tmp_path: Path) -> None:
    source = tmp_path / "a.json"
    source.write_text(json.dumps({"results": [{"service_key": "x", "service_url": "https://x.com/a"}]}))
    before = source.read_bytes()
    result = cli("import", str(source), "-m", "us-digital-registry", "-o", str(source))
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
    assert source.read_bytes() == before


def test_check_and_validate_point_a_spreadsheet_to_import(tmp_path: Path) -> None:
    for command in ("check", "validate"):
        result = cli(command, str(SAMPLES / "generic-accounts.csv"))
        assert result.exit_code == 2
        assert "a CSV file is not an inventory file: run `smgov import FILE --mapping generic-accounts" in result.stderr
        assert "YAML" not in result.stderr
    (tmp_path / "accounts.xlsx").write_bytes(b"PK")
    result = cli("check", str(tmp_path))
    assert result.exit_code == 2 and "its account lists are not inventories: run `smgov import" in result.stderr


def test_usage_errors_exit_2() -> None:
    assert cli("import", str(SAMPLES / "generic-accounts.csv")).exit_code == 2  # no --mapping
    assert cli("import", "-m", "generic-accounts").exit_code == 2  # no source


def test_a_mapping_with_key_ids_department_ids_and_every_kind_of_fill(tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "map.yaml",
        {
            "version": 1,
            "organisation": {"name": "Acme", "id": "org-acme"},
            "accounts": {
                "platform": {"column": "Net"},
                "handle": {"column": "Who", "pattern": r"^name:\s*(\S+)$"},
                "department": {"column": "Unit"},
                "admins": {"column": "Admins", "split": "|"},
                "mfa": {"column": "MFA", "default": False},
                "official": {"value": True},
                "status": {"column": "State", "values": {"on": "active", "off": "retired"}},
            },
            "fields": {"headcount_team": {"type": "integer", "column": "Team size"}},
            "departments": {"by": "id"},
            "ids": {"key": "Ref", "prefix": "a-"},
        },
    )
    source = tmp_path / "a.csv"
    source.write_text(
        "Ref,Net,Who,Unit,Admins,MFA,State,Team size\n"
        "R-1,Instagram,name: acme,dep-mkt,ann|bob|ann,,on,4\n"
        "R 2,tiktok,acme,Communication & PR,,yes,off,many\n",
        encoding="utf-8",
    )
    first = document.run([str(source)], str(mapping))
    second = document.run([str(source)], str(mapping))
    assert first.document == second.document
    assert first.document["organisation"] == {"name": "Acme", "id": "org-acme"}
    assert first.document["departments"] == [
        {"id": "dep-mkt", "name": "dep-mkt"},
        {"id": "communication-pr", "name": "Communication & PR"},
    ]
    assert first.document["accounts"] == [
        {
            "id": "a-r-1",
            "platform": "instagram",
            "handle": "acme",
            "department": "dep-mkt",
            "admins": ["ann", "bob"],
            "mfa": False,
            "status": "active",
            "official": True,
            "headcount_team": 4,
        },
        {
            "id": "a-r-2",
            "platform": "tiktok",
            "handle": "acme",
            "department": "communication-pr",
            "mfa": True,
            "status": "retired",
            "official": True,
        },
    ]
    codes = [(i.row, i.code) for i in first.report.issues]
    assert (3, "number-unreadable") in codes and (2, "platform-spelling") in codes


def test_a_mapped_value_the_inventory_refuses_is_reported_at_its_row(tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "map.yaml",
        {"version": 1, "accounts": {"platform": {"column": "P"}, "status": {"column": "S", "values": {"on": "bogus"}}}},
    )
    source = tmp_path / "a.csv"
    source.write_text("P,S\nx,on\nfacebook,\n", encoding="utf-8")
    result = cli("import", str(source), "-m", str(mapping), "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2 and not (tmp_path / "out.json").exists()
    assert f"{source}:2:0: S: the imported inventory would be invalid: 'bogus' is not one of" in result.stderr
    assert ":3:" not in result.stderr  # the row without a status is fine


@pytest.mark.parametrize(
    ("mapping", "source", "message"),
    [
        ("- not a mapping\n", "P\nx\n", "map.yaml:1:1:"),
        ("version: 1\naccounts: {}\n", "P\nx\n", "map.yaml"),
        (
            "version: 1\naccounts:\n  platform: {column: P, pattern: '('}\n",
            "P\nx\n",
            "pattern is not a regular expression",
        ),
        (
            "version: 1\nsource: {records: data}\naccounts:\n  platform: {column: P}\n",
            None,
            "is not an object or an array",
        ),
    ],
)
def test_bad_mappings_and_sources_exit_2_without_a_traceback(
    tmp_path: Path, mapping: str, source: str | None, message: str
) -> None:
    (tmp_path / "map.yaml").write_text(mapping, encoding="utf-8")
    if source is None:
        path = tmp_path / "a.json"
        path.write_text(json.dumps({"data": ["just a string"]}), encoding="utf-8")
    else:
        path = tmp_path / "a.csv"
        path.write_text(source, encoding="utf-8")
    result = cli("import", str(path), "-m", str(tmp_path / "map.yaml"))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_sources_keep_the_file_size_bound_of_every_input(tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_text("Platform,Handle\n" + "x,acme\n" * 1000, encoding="utf-8")
    refused = cli("--max-file-size", "4K", "import", str(source), "-m", "generic-accounts")
    assert refused.exit_code == 2 and "more than the limit of 4 KiB" in refused.stderr
    assert cli("--max-file-size", "8K", "import", str(source), "-m", "generic-accounts").exit_code == 0
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = cli("import", str(fifo), "-m", "generic-accounts")
    assert result.exit_code == 2 and "not a regular file" in result.stderr


def test_a_department_id_that_slugs_to_nothing_gets_one_from_its_name(tmp_path: Path) -> None:
    """``departments: {by: id}`` with a cell that makes no id ("!!!", or one too long): a
    stable id from the name's digest, as by name, never an invalid inventory."""
    mapping = write(
        tmp_path / "map.yaml",
        {
            "version": 1,
            "organisation": {"name": "Acme", "id": "org-acme"},
            "accounts": {"platform": {"column": "Net"}, "handle": {"column": "Who"}, "department": {"column": "Unit"}},
            "departments": {"by": "id"},
        },
    )
    source = tmp_path / "a.csv"
    source.write_text(f"Net,Who,Unit\ninstagram,acme,!!!\ntiktok,acme,{'x y ' * 80}\n", encoding="utf-8")
    first = document.run([str(source)], str(mapping))
    assert first.document == document.run([str(source)], str(mapping)).document  # stable
    made = [d["id"] for d in first.document["departments"]]
    assert made[0].startswith("dept-") and len(made[1]) <= 200 and made[1].startswith("x-y-x-y")
    assert [a["department"] for a in first.document["accounts"]] == made


def test_the_same_source_given_twice_is_refused_with_a_plain_message(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("Platform,Notes\nYouTube,a\nfacebook,b\n", encoding="utf-8")
    result = cli("import", str(source), str(tmp_path / "." / "a.csv"), "--mapping", "generic-accounts")
    assert result.exit_code == 2, result.output
    assert f"the same file as {source}, given twice: each is read once" in result.output
    assert "duplicate account id" not in result.output
