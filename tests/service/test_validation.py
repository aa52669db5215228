"""Input rules, as pure functions (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from service.polls.validation import ValidationError, parse_new_poll, parse_page, parse_vote


def test_new_poll_is_trimmed() -> None:
    poll = parse_new_poll({"question": "  Tea or coffee? ", "options": [" tea", "coffee "]})
    assert poll.question == "Tea or coffee?"
    assert poll.options == ("tea", "coffee")


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (None, "body", "must be a JSON object"),
        (["a"], "body", "must be a JSON object"),
        ({"question": "q", "options": ["a", "b"], "x": 1}, "body", "unknown field(s): x"),
        ({"options": ["a", "b"]}, "question", "is required"),
        ({"question": "q"}, "options", "is required"),
        ({"question": "   ", "options": ["a", "b"]}, "question", "must not be empty"),
        ({"question": 7, "options": ["a", "b"]}, "question", "must be a string"),
        ({"question": "q" * 501, "options": ["a", "b"]}, "question", "at most 500"),
        ({"question": "q\x00", "options": ["a", "b"]}, "question", "control characters"),
        ({"question": "q", "options": "a,b"}, "options", "must be a list"),
        ({"question": "q", "options": ["only"]}, "options", "between 2 and 20"),
        ({"question": "q", "options": [str(i) for i in range(21)]}, "options", "between 2 and 20"),
        ({"question": "q", "options": ["a", 2]}, "options[1]", "must be a string"),
        ({"question": "q", "options": ["Yes", "yes"]}, "options[1]", "duplicates"),
    ],
)
def test_new_poll_rejects(body: Any, field: str, detail: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_new_poll(body)
    assert caught.value.field == field
    assert detail in caught.value.message


@pytest.mark.parametrize("option_id", [True, "1", 1.0, 0, -3, 2**63, None])
def test_vote_rejects_non_ids(option_id: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_vote({"option_id": option_id})
    assert caught.value.field == "option_id"


def test_vote_accepts_an_id() -> None:
    assert parse_vote({"option_id": 42}) == 42


def test_page_defaults_and_bounds() -> None:
    assert parse_page({}) == (20, None)
    assert parse_page({"limit": "5", "before": "10"}) == (5, 10)
    for bad in ({"limit": "0"}, {"limit": "101"}, {"limit": "-1"}, {"limit": "1" * 5000}, {"before": "٣"}):
        with pytest.raises(ValidationError):
            parse_page(bad)
