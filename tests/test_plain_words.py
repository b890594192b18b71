"""Messages and evidence in plain words, with grammar right for every value (issue 18.6)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.evaluate import derive
from engine.evaluate.findings import Evidence
from engine.evaluate.messages import render_message
from engine.report.render.words import plain
from tests.helpers import inventory


@pytest.mark.parametrize(
    ("label", "value", "words"),
    [
        ("related(processes)", 0, "no process is linked"),
        ("related(processes)", 1, "1 process is linked"),
        ("related(processes)", 3, "3 processes are linked"),
        ("related(training)", 0, "no training record is linked"),
        ("days_since(last_reviewed_on)", None, "last reviewed: not recorded"),
        ("days_since(last_reviewed_on)", 1, "last reviewed: 1 day ago"),
        ("days_since(last_reviewed_on)", 400, "last reviewed: 400 days ago"),
        ("days_until(next_review_on)", 1, "next review: in 1 day"),
        ("days_until(next_review_on)", -30, "next review: 30 days ago"),
        ("owner", None, "owner: not recorded"),
        ("mfa", False, "mfa: no"),
        ("cadence", "ad_hoc", "cadence: ad hoc"),
        ("count(escalates_to)", 0, "escalates to: none"),
        ("count(departments_involved where …)", 2, "departments involved (that qualify): 2"),
        ("$governance.long_term_plan_years", 1, "governance: long term plan years: 1"),
        ("share(accounts where …)", 0.25, "accounts (that qualify): 25%"),
        ("handle matches '^@'", False, "handle: does not match the required form"),
        ("admins", [], "admins: none"),
    ],
)
def test_evidence_in_plain_words(label: str, value: object, words: str) -> None:
    assert plain(Evidence(label, value)) == words


def _message(template: str, **fields: object) -> str:
    inv = inventory({})
    return render_message(template, {"id": "p1", **fields}, derive.Scope(inv, dt.date(2026, 10, 1)))


@pytest.mark.parametrize(
    ("template", "fields", "expected"),
    [
        ("used on a {cadence} basis", {"cadence": "ad_hoc"}, "used on an ad hoc basis"),
        ("used on a {cadence} basis", {"cadence": "regular"}, "used on a regular basis"),
        ("used on a {cadence} basis", {"cadence": "event_driven"}, "used on an event driven basis"),
        ("A {kind} account", {"kind": "internal"}, "An internal account"),
        ("a {kind} account", {"kind": "union"}, "a union account"),  # "a union": the sound, not the letter
        ("covers {years} years", {"years": 1}, "covers 1 year"),
        ("covers {years} years", {"years": 3}, "covers 3 years"),
        ("covers {years} years", {"years": True}, "covers true years"),  # never 1 for a boolean
        ("within {n} days of it", {"n": 1}, "within 1 day of it"),
        ("{n} processes escalate", {"n": 1}, "1 process escalate"),
        ("last review {last}", {"last": None}, "last review not recorded"),
        ("a data item {id}", {}, "a data item p1"),  # an "a" not before a placeholder is untouched
    ],
)
def test_message_grammar_follows_the_value(template: str, fields: dict, expected: str) -> None:
    assert _message(template, **fields) == expected


def test_an_id_with_underscores_is_shown_as_written() -> None:
    assert _message("account {id}", id="acc_main_x") == "account acc_main_x"
