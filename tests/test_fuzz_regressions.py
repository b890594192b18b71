"""What fuzzing found (tests/test_fuzz_*.py, ``make fuzz``), each kept as a regression test
with the smallest input hypothesis reduced it to."""

from __future__ import annotations

import pytest

from engine.inputs.diagnostics import Diagnostic, InputError
from tests.helpers import policy_set, rule


def test_condition_keys_with_a_newline_stay_on_one_line() -> None:
    """make fuzz, 2026-12-04 (compiler: any rule, after ~1,000 cases): ``require: {'': null,
    "\\n": null}`` made "one operator per condition; found , \\n (…)", a message over two
    lines (one problem must be one line, and a key could carry a terminal escape)."""
    with pytest.raises(InputError) as caught:
        policy_set(rule("account", {"": None, "\n": None}))
    (problem,) = caught.value.diagnostics
    assert problem.message == "one operator per condition; found '', '\\n' (combine them with all or any)"
    with pytest.raises(InputError) as caught:
        policy_set(rule("account", {"field": "owner", "exists": True, "\x1b[2J": 1}))
    assert "'\\x1b[2J'" in caught.value.diagnostics[0].message


def test_every_diagnostic_is_one_line_without_escapes() -> None:
    """The same guarantee for every message and path, wherever they were made."""
    problem = Diagnostic("org.yaml", 3, 5, "unknown key 'a\nb\x1b]52;c;eA==\x07'", "accounts[0].a\nb")
    assert problem.format() == ("org.yaml:3:5: unknown key 'a\\u000ab\\u001b]52;c;eA==\\u0007' (accounts[0].a\\u000ab)")
    assert "\n" not in problem.format()
