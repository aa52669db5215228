"""Pure request validation: each function takes decoded JSON and returns clean values or raises ValidationError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_QUESTION_LENGTH = 500
MAX_OPTION_LENGTH = 200
MIN_OPTIONS = 2
MAX_OPTIONS = 20
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# PostgreSQL bigint: a larger id cannot exist, and passing it to the database would be an error, not a miss.
MAX_ID = 2**63 - 1


class ValidationError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NewPoll:
    question: str
    options: tuple[str, ...]


def _object(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object (send Content-Type: application/json)")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError("body", f"unknown field(s): {', '.join(unknown)}")
    return body


def _text(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    text = value.strip()
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    # PostgreSQL text cannot hold NUL; other control characters are never meaningful in a poll.
    if any(ord(ch) < 32 and ch not in "\t" for ch in text):
        raise ValidationError(field, "must not contain control characters")
    return text


def _id(value: Any, field: str) -> int:
    # bool is an int subclass in Python; `true` is not an id.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer")
    if not 1 <= value <= MAX_ID:
        raise ValidationError(field, "must be a positive integer")
    return value


def parse_new_poll(body: Any) -> NewPoll:
    data = _object(body, {"question", "options"})
    if "question" not in data:
        raise ValidationError("question", "is required")
    if "options" not in data:
        raise ValidationError("options", "is required")
    question = _text(data["question"], "question", MAX_QUESTION_LENGTH)
    raw_options = data["options"]
    if not isinstance(raw_options, list):
        raise ValidationError("options", "must be a list of strings")
    if not MIN_OPTIONS <= len(raw_options) <= MAX_OPTIONS:
        raise ValidationError("options", f"must have between {MIN_OPTIONS} and {MAX_OPTIONS} entries")
    options = tuple(_text(option, f"options[{i}]", MAX_OPTION_LENGTH) for i, option in enumerate(raw_options))
    seen: set[str] = set()
    for i, option in enumerate(options):
        key = option.casefold()
        if key in seen:
            raise ValidationError(f"options[{i}]", "duplicates an earlier option")
        seen.add(key)
    return NewPoll(question=question, options=options)


def parse_vote(body: Any) -> int:
    data = _object(body, {"option_id"})
    if "option_id" not in data:
        raise ValidationError("option_id", "is required")
    return _id(data["option_id"], "option_id")


def _query_int(raw: str, field: str, low: int, high: int, hint: str) -> int:
    # ASCII digits only, and short: int() of a very long string is slow and then raises.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))) or not low <= int(raw) <= high:
        raise ValidationError(field, hint)
    return int(raw)


def parse_page(args: Mapping[str, str]) -> tuple[int, int | None]:
    """Query parameters of the list endpoint: page size and the keyset cursor (list polls older than `before`)."""
    raw_limit = args.get("limit")
    limit = DEFAULT_PAGE_SIZE
    if raw_limit is not None:
        limit = _query_int(raw_limit, "limit", 1, MAX_PAGE_SIZE, f"must be an integer between 1 and {MAX_PAGE_SIZE}")
    raw_before = args.get("before")
    before = None
    if raw_before is not None:
        before = _query_int(
            raw_before, "before", 1, MAX_ID, "must be a positive integer (next_before of the last page)"
        )
    return limit, before
