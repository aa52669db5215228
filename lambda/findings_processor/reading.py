"""Turn report bytes into JSON documents: tolerant of banners, BOMs and JSON-lines, strict about the rest."""

from __future__ import annotations

import json
import re
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


class UnreadableReport(ValueError):
    """The report cannot be read; the message says what is wrong and never quotes report content."""


def decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableReport(f"is not UTF-8 text (invalid byte at offset {error.start})") from None


def parse_json_text(text: str) -> Any:
    """One JSON document, a JSON-lines stream (returned as a list), or JSON wrapped in banner text."""
    try:
        # The usual report, one document: parsed as it is. Stripping it first would copy the whole
        # text (most reports end with a newline) for nothing: json.loads accepts only spaces, tabs
        # and line breaks around a document, all of which strip() removes, so where it succeeds on
        # the text it gives what it would give on the stripped text.
        return json.loads(text)
    except RecursionError:
        raise UnreadableReport("is nested too deeply to be a scanner report") from None
    except json.JSONDecodeError:
        pass
    stripped = text.strip()
    if not stripped:
        raise UnreadableReport("is empty")
    try:
        return json.loads(stripped)
    except RecursionError:
        raise UnreadableReport("is nested too deeply to be a scanner report") from None
    except json.JSONDecodeError as error:
        whole_error = error
    lines = _json_lines(stripped)
    if lines is not None:
        return lines
    embedded = _embedded_document(stripped)
    if embedded is not None:
        return embedded
    where = f"line {whole_error.lineno} column {whole_error.colno}"
    if stripped[0] in "[{" and whole_error.pos >= len(stripped) - 1:
        raise UnreadableReport(f"is truncated JSON (ends early at {where})")
    raise UnreadableReport(f"is not valid JSON ({whole_error.msg} at {where})")


def _json_lines(text: str) -> list[Any] | None:
    """JSON-lines (trufflehog): every non-blank line an object; log lines and ANSI colour codes skipped."""
    if "\n" not in text or not text.startswith("{"):
        return None
    documents: list[Any] = []
    for raw_line in text.splitlines():
        line = _ANSI.sub("", raw_line).strip()
        if not line:
            continue
        try:
            document = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            return None
        if not isinstance(document, dict):
            return None
        documents.append(document)
    return documents if len(documents) > 1 else None


def _embedded_document(text: str) -> Any:
    """JSON printed between banners (safety 3.x `check`): the first intact object or array."""
    decoder = json.JSONDecoder()
    for opener in ("{", "["):
        start = text.find(opener)
        while 0 <= start < len(text):
            # A banner line may contain brackets; only a bracket starting a line begins the document.
            if start == 0 or text[start - 1] == "\n":
                try:
                    document, end = decoder.raw_decode(text, start)
                except (json.JSONDecodeError, RecursionError):
                    document, end = None, -1
                if end > 0 and isinstance(document, dict | list) and document:
                    return document
            start = text.find(opener, start + 1)
    return None
