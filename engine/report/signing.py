"""The seal and the signature of an evidence manifest.

The **seal** is the sha256 of the manifest's canonical text (its JSON with sorted keys and no
spaces, UTF-8) without the ``seal`` and ``signature`` fields: every field (stage, command,
organisation, the hashes of the files) is covered, so an edited field is caught by ``smgov
verify``. A seal proves integrity against accidents and careless edits only: anyone can
recompute it after an edit.

The **signature** (optional) is an Ed25519 signature over the same canonical bytes, made with
a private key the signer keeps (``cryptography``: a well-kept, audited binding of OpenSSL;
the extra ``smgov[sign]``). The manifest carries the public key; ``verify --key PUB`` checks
the signature against a public key the verifier already trusts, which is what makes it
evidence of who wrote the bundle (authenticity). Keys are PEM files, as ``openssl genpkey
-algorithm ed25519`` writes them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

#: The fields the seal and the signature do not cover (they are computed over the rest).
UNSEALED = ("seal", "signature")
EXTRA = "pip install 'smgov[sign]'"


class SigningError(Exception):
    """A key that cannot be used, or the signing library missing: the message says which."""


def canonical(manifest: dict[str, Any]) -> bytes:
    """The bytes the seal and the signature cover."""
    body = {k: v for k, v in manifest.items() if k not in UNSEALED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(manifest: dict[str, Any]) -> dict[str, str]:
    return {"algorithm": "sha256", "value": hashlib.sha256(canonical(manifest)).hexdigest()}


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise SigningError(f"signing needs the optional extra smgov[sign]: {EXTRA}") from None
    return serialization, ed25519


def _pem(path: str | Path, private: bool) -> Any:
    serialization, ed25519 = _crypto()
    what = "private" if private else "public"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the {what} key: {exc.strerror or exc}") from None
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if private
            else serialization.load_pem_public_key(data)
        )
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM {what} key ({exc})") from None
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise SigningError(f"{path}: not an Ed25519 {what} key (openssl genpkey -algorithm ed25519)")
    return key


def _raw_public(key: Any) -> bytes:
    serialization, _ = _crypto()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)  # type: ignore[no-any-return]


def fingerprint(public_raw: bytes) -> str:
    """A short name of a public key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def sign(manifest: dict[str, Any], private_key: str | Path) -> dict[str, str]:
    """The ``signature`` field for ``manifest`` (its other fields final)."""
    key = _pem(private_key, private=True)
    public = _raw_public(key.public_key())
    return {
        "algorithm": "ed25519",
        "public_key": base64.b64encode(public).decode("ascii"),
        "key_fingerprint": fingerprint(public),
        "value": base64.b64encode(key.sign(canonical(manifest))).decode("ascii"),
    }


def check_signature(manifest: dict[str, Any], trusted: str | Path | None) -> tuple[bool, str]:
    """Whether the manifest's signature holds, and what that means in words. With ``trusted``
    (a public key PEM) the signature must be by that key."""
    signature = manifest.get("signature")
    if signature is None:
        if trusted is not None:
            return False, "not signed, but --key asks for a signature"
        return True, "not signed: the seal shows integrity, not who wrote the bundle"
    _, ed25519 = _crypto()
    try:
        public = base64.b64decode(signature["public_key"], validate=True)
        value = base64.b64decode(signature["value"], validate=True)
        key = ed25519.Ed25519PublicKey.from_public_bytes(public)
    except (ValueError, TypeError):
        return False, "the signature or its public key is not valid base64 Ed25519 data"
    if trusted is not None and _raw_public(_pem(trusted, private=False)) != public:
        return False, f"signed by key {fingerprint(public)}, which is not the --key given"
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(value, canonical(manifest))
    except InvalidSignature:
        return False, f"the signature by key {fingerprint(public)} does not match the manifest"
    if trusted is None:
        return True, f"signed by key {fingerprint(public)} (give --key to check it is a key you trust)"
    return True, f"signed by the trusted key {fingerprint(public)}"
