"""A finding made by the parsers' fast path is the same Finding, frozen, as one made by Finding(...)."""

from __future__ import annotations

import dataclasses

import pytest

from findings_processor.model import Category, Finding, Severity, trusted_finding


def test_trusted_finding_equals_the_validated_constructor() -> None:
    values = (
        "semgrep",
        "rule",
        "title",
        "description",
        Severity.HIGH,
        "ERROR",
        Category.CODE,
        "0" * 64,
        "HIGH",
        "app.py",
        3,
        4,
        None,
        None,
        None,
        None,
        None,
        None,
        (),
        ("CWE-78",),
        "https://sg.run/x",
        True,
        "report.json",
    )
    fast, checked = trusted_finding(*values), Finding(*values)
    assert type(fast) is Finding
    assert fast == checked
    assert hash(fast) == hash(checked)
    assert repr(fast) == repr(checked)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.title = "changed"  # type: ignore[misc]
    assert dataclasses.replace(fast, title="changed").title == "changed"
