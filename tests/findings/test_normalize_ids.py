"""CWE ids from the many shapes scanners give them, and no crash on digit-like text that is no number."""

from __future__ import annotations

import pytest

from findings_processor.normalize import find_cwes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CWE-79", ("CWE-79",)),
        ("cwe-089: SQL Injection", ("CWE-89",)),
        (" 352 ", ("CWE-352",)),
        (["CWE-79", "CWE-80"], ("CWE-79", "CWE-80")),
        (22, ("CWE-22",)),
        # Digit-like but not ASCII digits: no id, and above all no ValueError from int().
        ("²", ()),
        ("¹²³", ()),
        ("①", ()),
    ],
)
def test_cwe_ids_are_found_or_the_value_is_ignored(value: object, expected: tuple[str, ...]) -> None:
    assert find_cwes(value) == expected
