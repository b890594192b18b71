"""``Pattern.which``: whether a pattern occurs in each of many texts, found in a few RE2
scans of the texts joined by newlines, answers exactly as matching each text alone; the
native check uses it for a pattern's subject fields, and stays equal to the reference."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any
from unittest import mock

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate import native
from engine.policy import patterns
from tests.helpers import all_engines_agree, inventory, policy_set, rule

AS_OF = dt.date(2026, 10, 1)

#: Anchors, word boundaries, empty matches, newline-matching classes, flags that change the
#: meaning of ``^``/``$`` and whole-text anchors: each a way a joined search could go wrong.
PATTERNS = [
    r"\b(?:gh[pousr]_[A-Za-z0-9]{4})",
    r"^a",
    r"a$",
    r"^$",
    r"\bab\b",
    r"\Bb",
    r"a*",
    "",
    r"a\s",
    r"\s",
    r"\n",
    r"a\n?",
    r"(?s)a.b",
    r"[^x]+y",
    r"y\s*$",
    r"(?i)A",
    r"x|^",
    r"(?m)^a",
    r"(?-m)^a$",
    r"\Aa",
    r"b\z",
    "é",
    r"^\p{L}+$",
    "://[^/\\s:@]+:[^/\\s@]+@",
]
ALPHABET = ["a", "b", "x", "y", " ", "\n", "é", "_", "A", ":", "@", "/", "\ud800"]
texts = st.lists(st.lists(st.sampled_from(ALPHABET), max_size=7).map("".join), min_size=30, max_size=120)


@settings(max_examples=int(os.environ.get("SMGOV_FUZZ_EXAMPLES", "400")), deadline=None, derandomize=True)
@given(texts=texts, source=st.sampled_from(PATTERNS), window=st.sampled_from([1, 5, 64, 1 << 14]))
def test_which_answers_as_matching_each_text_alone(texts: list[str], source: str, window: int) -> None:
    compiled = patterns.compile_pattern(source)
    with mock.patch.object(patterns, "_WINDOW", window):  # tiny windows: every boundary case
        assert compiled.which(texts) == [compiled.matches(text) for text in texts]


class Counting(patterns.Pattern):
    """A pattern that counts its joined searches and the texts it matches one by one."""

    __slots__ = ("alone", "searches")

    def __init__(self, source: str) -> None:
        lines = re2.compile(f"(?m){source}")
        searches: list[int] = []

        class Lines:
            @staticmethod
            def search(*args: Any) -> Any:
                searches.append(1)
                return lines.search(*args)

        super().__init__(re2.compile(source), Lines())
        self.searches, self.alone = searches, []

    def matches(self, text: str) -> bool:
        self.alone.append(text)
        return super().matches(text)


def test_texts_without_a_match_take_one_scan_not_one_call_each() -> None:
    counted = Counting(r"\bghp_[A-Za-z0-9]{8}")
    many = [f"owner{n}@example.org" for n in range(600)]  # 13 KB: one window
    assert counted.which(many) == [False] * 600
    assert len(counted.searches) == 1 and counted.alone == []
    more = many * 20  # 260 KB: a window per 16 KB, one search each
    assert counted.which(more) == [False] * len(more)
    assert len(counted.searches) - 1 == len("\n".join(more)) // patterns._WINDOW + 1


def test_matches_found_in_the_joined_texts_need_no_second_look() -> None:
    counted = Counting("token")
    many = [("a token here" if n % 10 == 0 else f"plain {n}") for n in range(1000)]
    assert counted.which(many) == [n % 10 == 0 for n in range(1000)]
    assert counted.alone == [] and len(counted.searches) == 101  # one search per match, one more to find no more


def test_a_match_across_a_newline_is_checked_text_by_text() -> None:
    counted = Counting(r"a\s+b")
    many = ["x"] * 40 + ["a", "b", "a b"]
    assert counted.which(many) == [False] * 40 + [False, False, True]
    # the texts the crossing match touched, one by one; "a b" was found in the joined texts
    assert counted.alone == ["a", "b"]


def test_a_pattern_that_matches_everything_stops_scanning_after_the_hit_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns, "_MAX_HITS", 50)
    counted = Counting("a")
    assert counted.which(["a"] * 1000) == [True] * 1000
    # the rest one by one: no more work than without joining
    assert len(counted.searches) == 50 and len(counted.alone) == 950


@pytest.mark.parametrize("source", ["^(?:a|b)$", r"(?m)^a", r"\Aa"])
def test_patterns_that_anchor_at_the_whole_text_are_never_joined(source: str) -> None:
    joined = source == "^(?:a|b)$"
    assert (patterns.compile_pattern(source)._lines is not None) is joined


def test_the_native_check_scans_a_patterns_fields_once_and_agrees_with_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One pattern over two fields of 60 accounts: one joined scan for both columns (no text
    matched one by one), and the same results as the reference and durable-rules."""
    calls: list[int] = []
    real = patterns.Pattern.which
    monkeypatch.setattr(patterns.Pattern, "which", lambda self, t: calls.append(len(t)) or real(self, t))
    accounts = [
        {
            "id": f"a{n}",
            "platform": "x",
            "handle": "ghp_" + "x" * 36 if n == 7 else f"h{n}\nsecond line" if n == 9 else f"h{n}",
            "owner": None if n % 4 == 0 else "https://u:p@host" if n == 30 else f"o{n}@example.org",
        }
        for n in range(60)
    ]
    token = r"\bghp_[A-Za-z0-9]{36}|://[^/\s:@]+:[^/\s@]+@"
    condition = {"all": [{"not": {"field": f, "matches": token}} for f in ("handle", "owner")]}
    policies = policy_set(rule("account", condition))
    (result,) = native.evaluate(policies, inventory({"accounts": accounts}), AS_OF)
    assert result.failed == (7, 30)
    assert calls[0] == 120  # both fields of every account, in one call
    all_engines_agree(policies, inventory({"accounts": accounts}), AS_OF)
