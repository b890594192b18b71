"""Values that look like credentials: never echoed, in a message or a report.

A credential has no place in an inventory (the baseline's ``SEC-*`` rules make one a finding),
but one pasted there by mistake must not travel further: an error message, a finding's
evidence, a CI log or an evidence bundle shows ``[redacted]`` in its place.

The patterns are the published formats of the access tokens a social-media team handles
(GitHub, GitLab, Slack, Meta/Facebook, Google, AWS, OpenAI-style ``sk-`` keys, X/Twitter
bearer tokens, JSON Web Tokens, private keys) and a password written into a URL. Fields whose
name says they hold a secret (``password``, ``token``, ``api_key``…) are redacted whatever
their value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from itertools import repeat
from typing import Any, TypeVar

F = TypeVar("F", bound=Any)

#: The token formats, one alternative each (RE2- and Python-compatible: the baseline's
#: SEC-TOK-001 rule uses the same text in a ``matches``).
TOKEN_PATTERN = (
    r"\b(?:gh[pousr]_[A-Za-z0-9]{36}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|glpat-[A-Za-z0-9_-]{20}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|EAA[A-Za-z0-9]{30,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|ya29\.[0-9A-Za-z_-]{20,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|sk-[A-Za-z0-9_-]{20,}"
    r"|AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|://[^/\s:@]+:[^/\s@]+@"
)
_TOKEN = re.compile(TOKEN_PATTERN)
#: A field (or key) named for a secret: its value is redacted whatever it is.
SECRET_NAME = re.compile(r"(?i)(^|_)(password|passwd|passphrase|secret|token|api_?key|private_key)$")
REDACTED = "[redacted]"


def looks_like_credential(text: str) -> bool:
    """Whether ``text`` holds an access token, a private key or a password in a URL."""
    return _TOKEN.search(text) is not None


def redact(text: str) -> str:
    """``text`` with every credential-looking part replaced by ``[redacted]``."""
    if _TOKEN.search(text) is None:
        return text
    return _TOKEN.sub(lambda m: "://[redacted]@" if m.group().startswith("://") else REDACTED, text)


def secret_name(name: object) -> bool:
    """Whether a field named ``name`` holds a secret by its name (``password``, ``api_key``…)."""
    return isinstance(name, str) and SECRET_NAME.search(name) is not None


_JOINED: Any = None


def _search_all(texts: list[str]) -> bool:
    """Whether any of ``texts`` holds a credential: one linear-time pass over them all."""
    global _JOINED
    if _JOINED is None:
        import re2

        options = re2.Options()
        options.log_errors = False
        _JOINED = re2.compile(TOKEN_PATTERN, options)
    return _JOINED.search("\n".join(texts)) is not None


def redact_findings(found: Sequence[F]) -> tuple[F, ...]:
    """``found`` (findings: ``message`` and ``evidence`` of ``label``/``value``) with every
    credential-looking text replaced by ``[redacted]``, and the value of every field named for
    a secret. One pass over all their text when none holds one (the usual case)."""
    labels = {e.label for f in found for e in f.evidence}  # type: ignore[attr-defined]
    secret_labels = {label for label in labels if secret_name(label.rsplit(".", 1)[-1])}
    texts = [f.message for f in found]  # type: ignore[attr-defined]
    texts += [e.value for f in found for e in f.evidence if isinstance(e.value, str)]  # type: ignore[attr-defined]
    if not secret_labels and not _search_all(texts):
        return tuple(found)
    return tuple(map(_redacted, found, repeat(secret_labels)))


def _redacted(finding: F, secret_labels: set[str]) -> F:
    values = [e.value for e in finding.evidence if isinstance(e.value, str)]  # type: ignore[attr-defined]
    labels = {e.label for e in finding.evidence}  # type: ignore[attr-defined]
    if labels.isdisjoint(secret_labels) and not any(map(looks_like_credential, [finding.message, *values])):
        return finding  # (the usual case even here: only some findings hold one)
    evidence = tuple(
        replace(e, value=REDACTED)
        if e.label in secret_labels and e.value is not None
        else replace(e, value=redact(e.value))
        if isinstance(e.value, str) and looks_like_credential(e.value)
        else e
        for e in finding.evidence  # type: ignore[attr-defined]
    )
    return replace(finding, message=redact(finding.message), evidence=evidence)  # type: ignore[attr-defined,type-var]
