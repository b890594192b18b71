"""Evidence bundles one can trust (issues 18.8, 15.4, 15.6): paths relative to a recorded root,
verify from anywhere (with a hint when the inputs are not found), verify confined to the bundle
and the recorded root, a manifest that covers its own fields, and an optional Ed25519 signature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.report import evidence
from tests.helpers import ROOT, cli
from tests.render_fixture import AS_OF

crypto = pytest.importorskip("cryptography", reason="signing needs the extra smgov[sign] (cryptography)")
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository holding the fixture organisation; the check runs in its subdirectory."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(ROOT / "tests/fixtures/render", repo / "org")
    shutil.copy(ROOT / "policies/baseline/stages.yaml", repo / "org/policies/stages.yaml")
    monkeypatch.chdir(repo / "org")
    return repo


def _bundle(*extra: str) -> object:
    args = ["check", "inventory.yaml", "--policies", "policies", "--as-of", AS_OF, "--fail-on", "never"]
    return cli(*args, "--evidence", "../evidence", "-q", *extra)


def _manifest(repo: Path) -> dict:
    return json.loads((repo / "evidence" / "manifest.json").read_text(encoding="utf-8"))


def _keys(tmp_path: Path, name: str = "signer") -> tuple[Path, Path]:
    key = ed25519.Ed25519PrivateKey.generate()
    private = tmp_path / f"{name}.pem"
    public = tmp_path / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def test_inputs_are_recorded_relative_to_the_repository_root(project: Path) -> None:
    assert _bundle().exit_code == 0
    manifest = _manifest(project)
    assert manifest["root"] == str(project.resolve())
    paths = {(i["base"], i["path"]) for i in manifest["inputs"]}
    assert ("root", "org/inventory.yaml") in paths and ("root", "org/policies/stages.yaml") in paths
    assert all(not Path(p).is_absolute() for base, p in paths if base != "outside")


def test_builtin_packs_are_recorded_relative_to_the_installed_package(project: Path) -> None:
    assert (
        cli("check", "inventory.yaml", "--as-of", AS_OF, "--fail-on", "never", "--evidence", "../ev", "-q").exit_code
        == 0
    )
    inputs = json.loads((project / "ev" / "manifest.json").read_text())["inputs"]
    builtin = [i for i in inputs if i["role"] in ("policy", "pack", "stages")]
    assert builtin and all(i["base"] == "builtin" and i["path"].startswith("policies/baseline/") for i in builtin)
    assert cli("verify", "../ev").exit_code == 0


def test_verify_from_another_directory_finds_the_inputs_by_the_recorded_root(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _bundle().exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = cli("verify", str(project / "evidence"))
    assert result.exit_code == 0, result.output
    assert "none changed; not signed" in result.stdout


def test_verify_of_a_moved_tree_hints_at_base(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _bundle().exit_code == 0
    moved = tmp_path / "moved"
    shutil.move(project, moved)
    monkeypatch.chdir(tmp_path)
    lost = cli("verify", str(moved / "evidence"))
    assert lost.exit_code == 1
    assert "missing: input org/inventory.yaml" in lost.stdout
    assert f"the recorded root {project.resolve()} is not here" in lost.stdout
    assert "give --base DIR" in lost.stdout
    assert cli("verify", str(moved / "evidence"), "--base", str(moved)).exit_code == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("stage", "integration"), ("command", ["smgov", "check", "other"]), ("organisation", {"id": "x", "name": "X"})],
)
def test_an_edited_manifest_field_is_caught(project: Path, field: str, value: object) -> None:
    assert _bundle().exit_code == 0
    path = project / "evidence" / "manifest.json"
    data = json.loads(path.read_text())
    data[field] = value
    path.write_text(json.dumps(data, indent=2))
    result = cli("verify", "../evidence")
    assert result.exit_code == 1
    assert "changed: manifest.json: its own fields" in result.stdout


def test_verify_reads_nothing_outside_the_bundle_and_the_root(project: Path, tmp_path: Path) -> None:
    """A manifest naming /etc/passwd, ../../secret or a link out of the bundle makes verify
    refuse those entries, never hash them (15.4)."""
    assert _bundle().exit_code == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    bundle = project / "evidence"
    path = bundle / "manifest.json"
    data = json.loads(path.read_text())
    sha = evidence.sha256_file(secret)
    data["inputs"] += [
        {"path": str(secret), "base": "root", "role": "inventory", "sha256": sha},
        {"path": "../secret.txt", "base": "root", "role": "inventory", "sha256": sha},
        {"path": str(secret), "base": "outside", "role": "inventory", "sha256": sha},
    ]
    (bundle / "report.csv").unlink()
    (bundle / "report.csv").symlink_to(secret)
    data["seal"] = evidence.signing.seal(data)  # a consistent forgery: only the reads are at stake
    path.write_text(json.dumps(data, indent=2))
    calls: list[Path] = []
    real = evidence.sha256_file
    evidence.sha256_file = lambda p: calls.append(Path(p).resolve()) or real(p)  # type: ignore[assignment]
    try:
        result = evidence.verify(bundle)
    finally:
        evidence.sha256_file = real  # type: ignore[assignment]
    assert secret.resolve() not in calls
    refused = {(c.kind, c.path) for c in result.changes if c.status == "refused"}
    assert refused == {("input", str(secret)), ("input", "../secret.txt"), ("output", "report.csv")}
    assert f"not checked: input {secret} is outside the recorded root" in result.notes


def test_a_forged_root_cannot_send_verify_elsewhere(project: Path, tmp_path: Path, monkeypatch) -> None:
    """A root that holds neither the bundle nor the working directory (or is the filesystem's
    root) is not used without --base: the inputs are looked up under the current directory."""
    assert _bundle().exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "org").mkdir(parents=True)
    secret = elsewhere / "org" / "inventory.yaml"
    secret.write_text("private")
    path = project / "evidence" / "manifest.json"
    for root in (str(elsewhere), "/"):
        data = json.loads(path.read_text())
        data["root"] = root
        data["seal"] = evidence.signing.seal(data)
        path.write_text(json.dumps(data, indent=2))
        monkeypatch.chdir(tmp_path)
        result = evidence.verify(project / "evidence")
        assert any(c.path == "org/inventory.yaml" and c.status == "missing" for c in result.changes), root
        assert any("holds neither the bundle nor the current directory" in n for n in result.notes), root


def test_a_signed_bundle_verifies_against_the_trusted_key(project: Path, tmp_path: Path) -> None:
    private, public = _keys(tmp_path)
    assert _bundle("--sign-key", str(private)).exit_code == 0
    signature = _manifest(project)["signature"]
    assert signature["algorithm"] == "ed25519"
    trusted = cli("verify", "../evidence", "--key", str(public))
    assert trusted.exit_code == 0 and "signed by the trusted key" in trusted.stdout
    untrusted = cli("verify", "../evidence")
    assert untrusted.exit_code == 0 and "give --key to check it is a key you trust" in untrusted.stdout
    _, other = _keys(tmp_path, "someone-else")
    wrong = cli("verify", "../evidence", "--key", str(other))
    assert wrong.exit_code == 1 and "which is not the --key given" in wrong.stdout


def test_a_re_sealed_edit_of_a_signed_manifest_is_caught_by_the_signature(project: Path, tmp_path: Path) -> None:
    """The seal alone anyone can recompute; the signature they cannot."""
    private, public = _keys(tmp_path)
    assert _bundle("--sign-key", str(private)).exit_code == 0
    path = project / "evidence" / "manifest.json"
    data = json.loads(path.read_text())
    data["stage"] = "integration"
    data["seal"] = evidence.signing.seal(data)
    path.write_text(json.dumps(data, indent=2))
    result = cli("verify", "../evidence", "--key", str(public))
    assert result.exit_code == 1 and "does not match the manifest" in result.stdout


def test_key_required_but_bundle_unsigned_and_unusable_keys(project: Path, tmp_path: Path) -> None:
    _, public = _keys(tmp_path)
    assert _bundle().exit_code == 0
    unsigned = cli("verify", "../evidence", "--key", str(public))
    assert unsigned.exit_code == 1 and "not signed, but --key asks for a signature" in unsigned.stdout
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    bad = _bundle("--sign-key", str(junk))
    assert bad.exit_code == 2 and "not an unencrypted PEM private key" in bad.output and "Traceback" not in bad.output
    alone = cli("check", "inventory.yaml", "--policies", "policies", "--sign-key", str(junk))
    assert alone.exit_code == 2 and "give --evidence DIR too" in alone.output
