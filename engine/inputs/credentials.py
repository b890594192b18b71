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

#: The token formats, one alternative each (RE2- and Python-compatible: the baseline's
#: SEC-TOK-001 rule uses the same text in a ``matches``).
TOKEN_PATTERN = (
    r"gh[pousr]_[A-Za-z0-9]{36}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|glpat-[A-Za-z0-9_-]{20}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|EAA[A-Za-z0-9]{30,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|ya29\.[0-9A-Za-z_-]{20,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|sk-[A-Za-z0-9_-]{20,}"
    r"|AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|://[^/\s:@]+:[^/\s@]+@"
)
_TOKEN = re.compile(TOKEN_PATTERN)
#: A field (or key) named for a secret: its value is redacted whatever it is.
SECRET_NAME = re.compile(
    r"(?i)(^|_)(password|passwd|pwd|passphrase|secret|client_secret|token|access_token|refresh_token|"
    r"api_key|apikey|private_key|credentials?)($|_)"
)
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
