"""The platform catalogue (engine/inputs/platforms.yaml): spellings, hosts old and new,
handles read from URLs, closed platforms, and the read-only platform_closed_on it gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from engine.inputs.platforms import CATALOGUE_FILE, catalogue
from tests.helpers import cli, inventory


@pytest.mark.parametrize(
    ("spelling", "platform"),
    [
        ("YouTube", "youtube"),
        ("Youtube", "youtube"),
        ("YT", "youtube"),
        ("you tube", "youtube"),
        ("Twitter", "x"),
        ("X", "x"),
        ("twitter.com", "x"),
        ("Google+", "googleplus"),
        ("google_plus", "googleplus"),
        ("Linkedin", "linkedin"),
        ("Tik-Tok", "tiktok"),
        ("yammer", "viva_engage"),
    ],
)
def test_spellings(spelling: str, platform: str) -> None:
    found = catalogue().resolve(spelling)
    assert found is not None and found.id == platform


def test_unknown_spellings_get_a_suggestion_or_none() -> None:
    assert catalogue().resolve("Intagram") is None
    assert catalogue().suggest("Intagram") == "instagram"
    assert catalogue().suggest("Facebok") == "facebook"
    assert catalogue().suggest("a-forum-of-our-own") is None


@pytest.mark.parametrize(
    ("url", "platform", "handle", "canonical"),
    [
        ("https://twitter.com/INFC_eng", "x", "INFC_eng", "https://x.com/INFC_eng"),
        ("www.twitter.com/RCAF_ARC", "x", "RCAF_ARC", "https://x.com/RCAF_ARC"),
        ("https://twitter.com/INFC_fra?lang=fr", "x", "INFC_fra", "https://x.com/INFC_fra"),
        ("https://twitter.com/@ECCC_CHC", "x", "ECCC_CHC", "https://x.com/ECCC_CHC"),
        ("https://twitter.com/#!/JPL_Bear", "x", "JPL_Bear", "https://x.com/JPL_Bear"),
        ("https://fb.com/Acme/", "facebook", "Acme", "https://facebook.com/Acme"),
        (
            "https://ca.linkedin.com/company/infrastructure-canada",
            "linkedin",
            "infrastructure-canada",
            "https://linkedin.com/company/infrastructure-canada",
        ),
        ("https://www.youtube.com/user/CSCsccEN", "youtube", "CSCsccEN", "https://youtube.com/user/CSCsccEN"),
        ("https://youtube.com/@NASA", "youtube", "NASA", "https://youtube.com/@NASA"),
        ("http://snapchat.com/add/parcs.canada", "snapchat", "parcs.canada", "https://snapchat.com/add/parcs.canada"),
        ("https://plus.google.com/+Acme", "googleplus", "Acme", "https://plus.google.com/+Acme"),
        (
            "https://bsky.app/profile/acme.bsky.social",
            "bluesky",
            "acme.bsky.social",
            "https://bsky.app/profile/acme.bsky.social",
        ),
    ],
)
def test_handles_read_from_urls(url: str, platform: str, handle: str, canonical: str) -> None:
    read = catalogue().read_url(url)
    assert read is not None and read.platform is not None
    assert (read.platform.id, read.handle, read.canonical) == (platform, handle, canonical)


@pytest.mark.parametrize(
    "url", ["https://youtu.be/dQw4w9WgXcQ", "https://x.com/home", "https://www.facebook.com/profile.php?id=1"]
)
def test_urls_that_name_no_account_are_kept_as_written(url: str) -> None:
    read = catalogue().read_url(url)
    assert read is not None and read.handle is None and read.canonical == url


def test_not_a_web_address() -> None:
    assert catalogue().read_url("not a url") is None
    assert catalogue().read_url("mailto:someone@example.org") is None
    other = catalogue().read_url("example.org/acme")
    assert other is not None and other.platform is None and other.canonical == "https://example.org/acme"


def test_closed_platforms_are_data() -> None:
    raw = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))["platforms"]
    from_file = {k: v["closed_on"] for k, v in raw.items() if "closed_on" in v}
    assert catalogue().closed == from_file
    assert {"googleplus", "vine", "storify"} <= set(from_file)
    assert catalogue().closed["googleplus"] == dt.date(2019, 4, 2)
    assert catalogue().closed_on("Google Plus") == "2019-04-02" and catalogue().closed_on("x") is None


def test_every_spelling_and_host_names_one_platform() -> None:
    seen: dict[str, str] = {}
    for platform in catalogue().platforms.values():
        for host in platform.hosts:
            assert seen.setdefault(host, platform.id) == platform.id, host
    for platform in catalogue().platforms.values():
        for spelling in (platform.name, *platform.aliases):
            assert catalogue().resolve(spelling).id == platform.id, spelling


def test_platform_closed_on_is_given_and_never_written(tmp_path: Path) -> None:
    inv = inventory({"accounts": [{"id": "a", "platform": "Vine"}, {"id": "b", "platform": "x"}]})
    assert inv.collections["accounts"][0]["platform_closed_on"] == "2017-01-17"
    assert "platform_closed_on" not in inv.collections["accounts"][1]
    source = tmp_path / "org.yaml"
    source.write_text(
        "organisation: {name: T}\naccounts:\n  - id: a\n    platform: x\n    platform_closed_on: 2020-01-01\n"
    )
    before = source.read_bytes()
    result = cli("validate", str(source))
    assert result.exit_code == 2
    assert f"{source}:5:5: platform_closed_on is read-only" in result.stderr
    assert "(accounts[0].platform_closed_on)" in result.stderr
    assert source.read_bytes() == before
