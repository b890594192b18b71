"""``matches`` patterns cannot stall a check: RE2 matches in linear time, and a pattern it
cannot run that way is refused when the policy is compiled, with its position."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.evaluate import derive
from engine.inputs.diagnostics import InputError as PolicyError
from engine.policy import patterns
from tests.helpers import EVALUATORS, cli, evaluate, inventory, policy_set, rule, write

AS_OF = dt.date(2026, 10, 1)
CATASTROPHIC = "^(a+)+$"  # exponential in Python's re on 'aaaa…b'


@pytest.mark.parametrize("engine", EVALUATORS)
def test_a_catastrophic_pattern_against_a_long_value_completes_on_both_evaluators(engine: str) -> None:
    long_value = "a" * 200_000 + "b"  # Python's re would need about 2^200000 steps
    inv = inventory(
        {
            "accounts": [
                {"id": "a1", "platform": "x", "handle": long_value},
                {"id": "a2", "platform": "x", "handle": "a" * 200_000},
            ]
        }
    )
    policies = policy_set(rule("account", {"field": "handle", "matches": CATASTROPHIC}))
    (result,) = evaluate(engine, policies, inv, AS_OF)
    assert result.failed == (0,)  # a1 fails ('b' at the end), a2 matches


def test_both_evaluators_use_the_one_compiled_matcher() -> None:
    compiled = patterns.compile_pattern(CATASTROPHIC)
    assert isinstance(compiled, patterns.Pattern)
    assert type(compiled._search.__self__).__module__.startswith("re2")  # RE2 does the matching
    assert derive.Scope(inventory({}), AS_OF).pattern(CATASTROPHIC) is compiled


@pytest.mark.parametrize("source", ["^.$", "^..$", r"^\w+$", "^[é-ü]+$", "ß", r"^\p{L}{3}$", "(?i)^STRASSE$", "^$"])
def test_matching_the_utf8_bytes_agrees_with_matching_the_text(source: str) -> None:
    """The wrapper gives RE2 the text's UTF-8 bytes (faster); whether it matches is the same."""
    import re2

    direct = re2.compile(source)
    compiled = patterns.compile_pattern(source)
    for text in ["é", "ab", "ünï", "straße", "STRASSE", "", "日本語", "a\u0301", "x" * 50]:
        assert compiled.matches(text) == (direct.search(text) is not None), (source, text)


def test_the_native_check_asks_re2_once_per_distinct_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """One pattern over several fields of a few subjects: each distinct text is matched once per
    check, and the answers are the same as asking every time (many subjects: one joined scan,
    tests/test_pattern_batch.py)."""
    from engine.evaluate import native

    asked: list[str] = []
    real = patterns.Pattern.matches
    monkeypatch.setattr(patterns.Pattern, "matches", lambda self, text: asked.append(text) or real(self, text))
    accounts = [
        {"id": f"a{n}", "platform": "x", "handle": f"h{n % 3}", "owner": "o@example.org" if n % 2 else "x-token"}
        for n in range(12)
    ]
    inv = inventory({"accounts": accounts})
    condition = {"all": [{"not": {"field": f, "matches": "token"}} for f in ("handle", "owner")]}
    policies = policy_set(rule("account", condition))
    (result,) = native.evaluate(policies, inv, AS_OF)
    assert result.failed == tuple(n for n in range(12) if n % 2 == 0)
    assert sorted(asked) == ["h0", "h1", "h2", "o@example.org", "x-token"]  # each once, none again


@pytest.mark.parametrize(
    ("pattern", "reason", "at"),
    [
        ("^(?=admin)", "lookahead, lookbehind and backreferences are not supported", "at character 2: '(?=admin)'"),
        ("(x)\\1", "backreferences are not supported", "at character 4: '\\\\1'"),
        ("(?<=@)brand", "lookahead, lookbehind", "at character 1"),
        ("((a{100}){100}){100}", "invalid repetition size", "at character"),
        ("^(@", "missing )", "at character 1"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_at_load_with_its_position(
    tmp_path: Path, pattern: str, reason: str, at: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        policy_set(rule("account", {"field": "handle", "matches": pattern}))
    assert reason in str(caught.value) and at in str(caught.value)
    policy = tmp_path / "rules.yaml"
    write(policy, {"version": 1, "rules": [rule("account", {"field": "handle", "matches": pattern})]})
    result = cli("policy", "validate", str(policy))
    assert result.exit_code == 2, result.output
    assert f"{policy}:" in result.output and "does not compile in RE2" in result.output and reason in result.output
    assert "Traceback" not in result.output


def test_the_dialect_is_re2s_as_documented() -> None:
    """What docs/policy-language.md says of the dialect, held here."""
    search = lambda p, t: patterns.compile_pattern(p).matches(t)  # noqa: E731
    assert search("(?i)^@BRAND$", "@brand")
    assert search(r"\p{Greek}", "λόγος")
    assert not search(r"^\d+$", "٣")  # \d is ASCII only
    assert search("^abc$", "abc") and not search("^abc$", "abc\n")  # $ is the end of the text
    assert search("(?m)^b$", "a\nb\nc")
