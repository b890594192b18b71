"""output.json_text writes exactly what json.dumps(indent=2, ensure_ascii=False) writes."""

from __future__ import annotations

import json
import math

import pytest

from engine.report.output import json_text

CASES = [
    {},
    [],
    "text",
    0,
    None,
    {"a": [], "b": {}, "c": [1, {"x": [], "y": {"z": None}}], "d": [[[]]]},
    {"s": 'é ünïcode \u2028\u2029 "quoted" back\\slash \n\t\r \x00\x01\x1f \x7f 😀'},
    {"f": [1e16, 1e22, 1.5e-7, 5e-324, -0.0, 0.1, 123456789.125, 1.0, 2.5e300], "i": [12345678901234567890, -1]},
    {"keys": {"": 1, "é": 2, "a b": 3, "1": 4}, "bools": [True, False]},
]


@pytest.mark.parametrize("data", CASES)
def test_byte_for_byte_the_standard_librarys_indented_json(data: object) -> None:
    assert json_text(data) == json.dumps(data, indent=2, ensure_ascii=False)


def test_what_msgspec_cannot_read_back_takes_the_slow_path() -> None:
    data = {"ratio": math.nan, "big": math.inf}
    assert json_text(data) == json.dumps(data, indent=2, ensure_ascii=False)
