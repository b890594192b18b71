"""The platform catalogue (``platforms.yaml`` beside this module): canonical ids, spellings,
web hosts, handles read from URLs, and the platforms that have closed.

Data, not code: a new spelling or a platform that closes is a line in the YAML file. The
importer normalises account lists with it; the inventory gives each account the read-only
field ``platform_closed_on`` from it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import yaml

CATALOGUE_FILE = Path(__file__).with_name("platforms.yaml")
_FOLD = re.compile(r"[\s._\-]+")
_SPACE = re.compile(r"\s")
#: http(s)://host/path?query#fragment with a plain host (letters, digits, dots, dashes: at
#: least one dot) and nothing unusual; the groups: scheme, host, path, fragment.
_SIMPLE_URL = re.compile(r"(?i)(https?://)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(/[^?#\s]*)?(?:\?[^#\s]*)?(?:#(\S*))?\Z")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
_UNSEEN: Any = object()


def fold(name: str) -> str:
    """A spelling reduced for comparison: lower case, without spaces, dots, dashes or
    underscores (``You Tube``, ``you_tube`` and ``YouTube`` are one)."""
    return _FOLD.sub("", name.casefold())


@dataclass(frozen=True)
class Platform:
    """One platform of the catalogue."""

    id: str
    name: str
    aliases: tuple[str, ...]
    hosts: tuple[str, ...]
    handle: tuple[tuple[str, ...], ...]  # URL path templates, split into segments
    reserved: frozenset[str]
    closed_on: dt.date | None
    patterns: tuple[tuple[re.Pattern[str], bool], ...] = ()  # the templates compiled; bool: a bare /{handle}

    @property
    def canonical_host(self) -> str:
        return self.hosts[0] if self.hosts else ""


class ReadUrl(NamedTuple):
    """What a URL says: its platform (None when no catalogued host), the handle read from
    its path (None when it has none), and the URL in canonical form (a named tuple: one is
    made for each URL of an import, a dataclass takes three times as long)."""

    platform: Platform | None
    handle: str | None
    canonical: str


class Catalogue:
    """The platforms, indexed by folded spelling and by host."""

    def __init__(self, platforms: list[Platform]) -> None:
        self.platforms = {p.id: p for p in platforms}
        self._spellings: dict[str, Platform] = {}
        self._hosts: dict[str, Platform] = {}
        for platform in platforms:
            for spelling in (platform.id, platform.name, *platform.aliases, *platform.hosts):
                self._spellings.setdefault(fold(spelling), platform)
            for host in platform.hosts:
                self._hosts[host] = platform
        self._by_host: dict[str, Platform | None] = {}  # a host as written -> its platform
        self._closed = {s: p.closed_on.isoformat() for s, p in self._spellings.items() if p.closed_on is not None}

    def resolve(self, spelling: str) -> Platform | None:
        """The platform a spelling names (``Youtube``, ``YT``, ``twitter.com``), or None."""
        return self._spellings.get(fold(spelling))

    def suggest(self, spelling: str) -> str | None:
        """The closest known platform id for a spelling that names none (``Intagram`` ->
        ``instagram``), or None."""
        close = get_close_matches(fold(spelling), list(self._spellings), n=1, cutoff=0.75)
        return self._spellings[close[0]].id if close else None

    def by_host(self, host: str) -> Platform | None:
        """The platform of a web host or of any subdomain of one (``www.``, ``m.``, ``ca.``)."""
        host = host.lower().rstrip(".")
        while host:
            found = self._hosts.get(host)
            if found is not None:
                return found
            _, _, host = host.partition(".")
        return None

    def read_url(self, url: str) -> ReadUrl | None:
        """A profile URL read: platform, handle and canonical form; None when it is no web
        address at all. ``www.x.com/a`` and ``twitter.com/a?lang=fr`` are both
        ``https://x.com/a``: https, the platform's canonical host, no query or fragment, no
        trailing slash. A URL that names no handle (a video, a post, another site) is kept as
        written, with https:// added when it has no scheme."""
        text = url.strip()
        simple = _SIMPLE_URL.match(text)  # most profile URLs: read by one regular expression
        if simple is not None:
            scheme, host, path, fragment = simple.groups()
            if not scheme:
                text = "https://" + text
            platform = self._by_host.get(host, _UNSEEN)  # by the host as written: one look-up
            if platform is _UNSEEN:
                platform = self._by_host[host] = self.by_host(host)
        else:  # anything else (a port, a user, an odd scheme ...): urllib decides
            if not text or _SPACE.search(text):
                return None
            if "://" not in text:
                if _SCHEME.match(text):  # mailto:, tel: ...: another kind of address
                    return None
                text = "https://" + text.lstrip("/")
            try:
                parts = urlsplit(text)
                host = (parts.hostname or "").lower()
            except ValueError:
                return None
            if parts.scheme.lower() not in ("http", "https") or "." not in host or parts.username is not None:
                return None
            path, fragment = parts.path, parts.fragment
            platform = self.by_host(host)
        if platform is None:  # another site: kept as written
            return ReadUrl(None, None, text)
        if fragment and fragment.startswith("!/"):  # old twitter.com/#!/name
            path = fragment[2:]
        if not path:
            return ReadUrl(platform, None, text)
        if "%" in path or "//" in path:  # escapes, empty segments: segment by segment
            segments = [unquote(s) if "%" in s else s for s in path.split("/") if s]
            joined, first = "/".join(segments), segments[0] if segments else ""
        else:  # the path's segments as they are
            joined = path.strip("/")
            first = joined.partition("/")[0]
        handle = _handle(platform, joined, first)
        if handle is None:  # not a profile (a video, a post): kept as written
            return ReadUrl(platform, None, text)
        if first == f"@{handle}" and platform.handle and ("{handle}",) in platform.handle[-1:]:
            joined = handle + joined[len(first) :]  # x.com/@name is x.com/name (but youtube.com/@name stays)
        return ReadUrl(platform, handle, f"https://{platform.canonical_host}/{joined}")

    @property
    def closed(self) -> dict[str, dt.date]:
        """Platform id -> the day it closed, for the platforms that have."""
        return {p.id: p.closed_on for p in self.platforms.values() if p.closed_on is not None}

    def closed_on(self, platform: Any) -> str | None:
        """The ISO day the platform an account names closed (any spelling), or None."""
        if not isinstance(platform, str):
            return None
        return self._closed.get(fold(platform)) if self._closed else None


def _handle(platform: Platform, path: str, first: str) -> str | None:
    """The handle a URL's path (its segments joined by /, ``first`` the first one) names on
    the platform, or None."""
    for pattern, bare in platform.patterns:
        found = pattern.match(path)
        if found is None:
            continue
        if bare:
            if first.lower() in platform.reserved:
                return None
            return found.group(1).removeprefix("@") or None
        return found.group(1)
    return None


def _compile(template: tuple[str, ...]) -> tuple[re.Pattern[str], bool]:
    """A path template (``("user", "{handle}")``) as a regular expression whose group is the
    handle; literal segments match in any case, and more segments may follow."""
    parts = []
    for segment in template:
        prefix, marker, _ = segment.partition("{handle}")
        parts.append(f"{re.escape(prefix)}([^/]+)" if marker else f"(?i:{re.escape(segment)})")
    return re.compile("/".join(parts) + r"(?:/|\Z)"), template == ("{handle}",)


def _platform(key: str, raw: dict[str, Any]) -> Platform:
    closed = raw.get("closed_on")
    return Platform(
        id=key,
        name=str(raw.get("name", key)),
        aliases=tuple(str(a) for a in raw.get("aliases", ())),
        hosts=tuple(str(h).lower() for h in raw.get("hosts", ())),
        handle=(templates := tuple(tuple(s for s in str(t).split("/") if s) for t in raw.get("handle", ()))),
        patterns=tuple(_compile(t) for t in templates),
        reserved=frozenset(str(r).lower() for r in raw.get("reserved", ())),
        closed_on=closed if isinstance(closed, dt.date) else (dt.date.fromisoformat(closed) if closed else None),
    )


@cache
def catalogue() -> Catalogue:
    """The bundled catalogue (read once)."""
    raw = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return Catalogue([_platform(key, value or {}) for key, value in raw["platforms"].items()])
