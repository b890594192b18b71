"""A credential in an inventory is a finding (policies/baseline/secrets.yaml) and is never
echoed: every report format, the evidence bundle and every message show [redacted]."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.inputs import credentials
from engine.report.render import FILE_NAMES
from tests.helpers import ROOT, cli

AS_OF = ("--as-of", "2026-10-01")
# fakes in the published formats (AWS's documentation key, tokens of zeros)
TOKENS = (
    "ghp_" + "0" * 36,
    "AKIAIOSFODNN7EXAMPLE",
    "xoxb-0000000000-0000000000000",
    "hunter2",  # the password of a URL
)


def inventory(path: Path) -> Path:
    data = {
        "organisation": {"name": "Leaky plc"},
        "departments": [{"id": "mkt", "name": "Marketing", "uses_social_media": True}],
        "accounts": [
            {"id": "a1", "platform": "x", "handle": TOKENS[0], "department": "mkt"},
            {"id": "a2", "platform": "x", "owner": TOKENS[1], "notes": f"slack {TOKENS[2]}"},
            {"id": "a3", "platform": "facebook", "url": f"https://brand:{TOKENS[3]}@facebook.com/brand"},
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_rule_and_the_redaction_use_one_pattern() -> None:
    text = (ROOT / "policies" / "baseline" / "secrets.yaml").read_text(encoding="utf-8")
    patterns = {
        condition["not"]["matches"] for rule in yaml.safe_load(text)["rules"] for condition in rule["require"]["all"]
    }
    assert patterns == {credentials.TOKEN_PATTERN}


def test_a_credential_is_a_critical_finding_and_never_shown(tmp_path: Path) -> None:
    org = inventory(tmp_path / "org.json")
    out, bundle = tmp_path / "out", tmp_path / "evidence"
    formats = [arg for fmt in FILE_NAMES for arg in ("--format", fmt)]
    result = cli("check", str(org), *AS_OF, *formats, "--output-dir", str(out), "--fail-on", "critical")
    assert result.exit_code == 1, result.output
    report = json.loads((out / FILE_NAMES["json"]).read_text(encoding="utf-8"))
    found = {
        (f["rule_id"], f["subject"]["id"] if isinstance(f.get("subject"), dict) else f.get("subject_id"))
        for f in report["findings"]
        if f["rule_id"].startswith("SEC-")
    }
    assert found == {("SEC-TOK-001", "a1"), ("SEC-TOK-001", "a2"), ("SEC-TOK-001", "a3")}
    assert cli("check", str(org), *AS_OF, "--evidence", str(bundle)).exit_code == 1
    written = [p for p in (*out.iterdir(), *bundle.iterdir()) if p.is_file()]
    assert len(written) >= 2 * len(FILE_NAMES)
    for path in written:
        text = path.read_text(encoding="utf-8")
        for token in TOKENS:
            assert token not in text, (path.name, token)
    assert "[redacted]" in (out / FILE_NAMES["json"]).read_text(encoding="utf-8")
    shown = cli("check", str(org), *AS_OF)  # and on the terminal
    assert not [t for t in TOKENS if t in shown.output] and "[redacted]" in shown.output


@dataclass(frozen=True)
class _Evidence:
    label: str
    value: Any


@dataclass(frozen=True)
class _Finding:
    message: str
    evidence: tuple[_Evidence, ...]


def test_fields_named_for_a_secret_are_redacted_whatever_their_value() -> None:
    clean = (_Finding("Account a1 has no owner", (_Evidence("owner", None),)),)
    assert credentials.redact_findings(clean) == clean
    leaky = (_Finding(f"key {TOKENS[1]} found", (_Evidence("api_key", "plain words"), _Evidence("handle", "@brand"))),)
    (done,) = credentials.redact_findings(leaky)
    assert done.message == "key [redacted] found"
    assert done.evidence == (_Evidence("api_key", "[redacted]"), _Evidence("handle", "@brand"))
    assert credentials.redact("see https://u:p4ss@host/x") == "see https://[redacted]@host/x"


def test_ordinary_values_are_not_taken_for_credentials() -> None:
    for text in (
        "helpdesk-regional-support-team-2024-emea",  # 'sk-' inside a word
        "https://x.com/brand",
        "mailto:press@example.com",
        "TEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # 'EAA' inside a word
    ):
        assert not credentials.looks_like_credential(text), text
    assert not credentials.secret_name("credential_custody") and not credentials.secret_name("token_count")
    assert credentials.secret_name("api_key") and credentials.secret_name("github_token")
    found = (_Finding("Account a1 keeps its password in a shared document", (_Evidence("credential_custody", "x"),)),)
    assert credentials.redact_findings(found) == found
