"""Small pure helpers shared by the parsers: type coercion, text cleanup, severities, fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from findings_processor.model import Severity

# Control characters other than tab/newline are stripped: they break XML, Markdown and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_CWE = re.compile(r"\bCWE-(\d{1,5})\b", re.IGNORECASE)
_SNIPPET_LINE_NUMBER = re.compile(r"^\s*\d+\s?", re.MULTILINE)
_sha256 = hashlib.sha256  # one global lookup per fingerprint instead of two

# Longest text we keep per field: generous for outputs (which cut further), bounded for hostile input.
MAX_TEXT = 16_384

# str.isprintable() looks each character up in the Unicode database, a few nanoseconds apiece: on
# a finding's long texts (messages, descriptions) that was several percent of a large scan. For
# ASCII text (str.isascii() reads a flag) the same answer is "every byte from 0x20 to 0x7e", which
# bytes.translate with this table and one memchr give faster once the text is longer than about
# 64 characters; shorter text is tested directly.
_ASCII_PRINTABLE = bytes(1 if 0x20 <= byte < 0x7F else 0 for byte in range(256))
_SHORT_TEXT = 64


def printable(text: str) -> bool:
    """str.isprintable(), faster on long ASCII text (callers test short text directly, sparing a call)."""
    if len(text) > _SHORT_TEXT and text.isascii():
        return 0 not in text.encode("ascii").translate(_ASCII_PRINTABLE)
    return text.isprintable()


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    return (item for item in as_list(value) if isinstance(item, dict))


def as_str(value: Any) -> str | None:
    """A non-empty cleaned string, or None; numbers are accepted because scanners drift between the two."""
    if type(value) is str and (value.isprintable() if len(value) <= _SHORT_TEXT else printable(value)):
        # Fast path for the common clean value: a printable string holds none of the characters
        # clean_text removes, so only its cut and strip apply.
        return value[:MAX_TEXT].strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    cleaned = clean_text(value)
    return cleaned or None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value.strip())
    return None


def as_line(value: Any) -> int | None:
    """A 1-based line number, or None when missing or nonsensical."""
    if type(value) is int:  # the usual JSON number: what as_int returns for it
        return value if 0 < value < 100_000_000 else None
    line = as_int(value)
    return line if line is not None and 0 < line < 100_000_000 else None


def line_range(start: Any, end: Any) -> tuple[int | None, int | None]:
    first = as_line(start)
    last = as_line(end)
    if first is None:
        return None, None
    if last is None or last < first:
        last = first
    return first, last


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) > limit:
        text = text[:limit]
    return _CONTROL.sub("", text).strip()


def one_line(text: str | None, limit: int = 512) -> str | None:
    if not text:
        return None
    if (
        (text.isprintable() if len(text) <= _SHORT_TEXT else printable(text))
        and "  " not in text
        and text[0] != " "
        and text[-1] != " "
    ):
        # Already one line: every whitespace character but the space is unprintable, so a printable
        # text without doubled or edge spaces is its own normal form (split and join would copy it).
        return text[:limit] or None
    # str.split() splits on exactly the characters `\s` matches, so this equals sub(r"\s+", " ").strip().
    return " ".join(text.split())[:limit] or None


def as_str_and_line(value: Any, limit: int) -> tuple[str | None, str | None]:
    """(as_str(value), one_line(as_str(value), limit)), from one pass over the text's characters.

    For a message that is both a finding's description and the start of its title.
    """
    if type(value) is str and printable(value):
        text = value[:MAX_TEXT].strip()
        # Printable (part of a printable string) and stripped: one_line's own test of such text is
        # only that it has no double space, and then it returns the text cut to the limit.
        if text and "  " not in text:
            return text, text[:limit]
        return text or None, one_line(text, limit)
    cleaned = as_str(value)
    return cleaned, one_line(cleaned, limit)


def first(*values: Any) -> str | None:
    for value in values:
        text = as_str(value)
        if text:
            return text
    return None


def find_cves(*texts: str | None) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for text in texts:
        if text:
            if text[:4] == "CVE-" and text[8:9] == "-" and text[4:8].isdecimal() and text[9:].isdecimal():
                # The usual bare id (trivy's VulnerabilityID): the one match the pattern would find.
                if len(text) >= 13:
                    found[text] = None
                continue
            if "-" not in text:
                continue  # no id without a hyphen: spares the case-insensitive pattern
            for match in _CVE.finditer(text):
                found[match.group(0).upper()] = None
    return tuple(found)


def find_cwes(*values: Any) -> tuple[str, ...]:
    """CWE ids from strings like 'CWE-79: ...', bare numbers, or lists of either."""
    if len(values) == 1:
        # The usual shapes, a string or a list of one string (trivy's CweIDs, semgrep's cwe):
        # the walk below would yield exactly that string's ids.
        value = values[0]
        if type(value) is list and len(value) == 1:
            value = value[0]
        if type(value) is str:
            return _cwes_in(value)
    found: dict[str, None] = {}
    stack = list(values)
    while stack:
        value = stack.pop(0)
        if isinstance(value, list):
            stack.extend(value[:50])
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and 0 < value < 100_000:
            found[f"CWE-{value}"] = None
        elif isinstance(value, str):
            for cwe in _cwes_in(value):
                found[cwe] = None
    return tuple(found)


# CWE ids per distinct string: a rule's CWE text repeats on every one of its findings.
_CWE_CACHE: dict[str, tuple[str, ...]] = {}
_CWE_CACHE_SIZE = 4096


def _cwes_in(value: str) -> tuple[str, ...]:
    cached = _CWE_CACHE.get(value)
    if cached is not None:
        return cached
    found: dict[str, None] = {}
    if value[:4] == "CWE-" and value[4:].isascii() and value[4:].isdigit() and len(value) <= 9:
        # The usual "CWE-79" alone: the one id the pattern below would find.
        found[f"CWE-{int(value[4:])}"] = None
    else:
        stripped = value.strip()
        # ASCII digits only: str.isdigit() also accepts superscripts such as "²", which int() refuses.
        if stripped.isascii() and stripped.isdigit() and len(stripped) < 6:
            found[f"CWE-{int(stripped)}"] = None
        if "-" in value:  # no id without a hyphen: spares the case-insensitive pattern
            for match in _CWE.finditer(value[:4096]):
                found[f"CWE-{int(match.group(1))}"] = None
    ids = tuple(found)
    if len(_CWE_CACHE) < _CWE_CACHE_SIZE:
        _CWE_CACHE[value] = ids
    return ids


_WORDS: dict[str, Severity] = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "ERROR": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "MODERATE": Severity.MEDIUM,
    "WARNING": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "INFO": Severity.LOW,
    "NOTE": Severity.INFORMATIONAL,
    "INFORMATIONAL": Severity.INFORMATIONAL,
    "NEGLIGIBLE": Severity.INFORMATIONAL,
    "UNKNOWN": Severity.INFORMATIONAL,
    "UNDEFINED": Severity.INFORMATIONAL,
    "NONE": Severity.INFORMATIONAL,
}


def severity_from_word(word: str | None, default: Severity | None = None) -> Severity | None:
    if word:
        # Scanners mostly write the word as it is listed: one lookup before normalizing it.
        found = _WORDS.get(word)
        if found is None:
            found = _WORDS.get(word.strip().upper())
        if found is not None:
            return found
    return default


_SCORE_FLOORS = ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM))


def severity_from_score(score: Any) -> Severity | None:
    """CVSS base score → label with the ranges trivy, grype and NVD share (0 → informational)."""
    if isinstance(score, bool):
        return None
    try:
        value = float(score)
    except (TypeError, ValueError):
        return None
    if not 0 <= value <= 10:  # also rejects NaN
        return None
    for floor, severity in _SCORE_FLOORS:
        if value >= floor:
            return severity
    return Severity.INFORMATIONAL if value == 0 else Severity.LOW


def fingerprint(scanner: str, *parts: object) -> str:
    """A stable id for 'this issue in this place': never includes severity or run-specific data."""
    # Parts joined by \x1f, None as "", str() of anything else. This runs once per finding: parts
    # that are all strings, the usual case, are joined in one call.
    joined = None
    if None not in parts:
        try:
            # str.join refuses a part that is not a string with TypeError, handled below.
            joined = "\x1f".join((scanner, *parts))  # type: ignore[arg-type]
        except TypeError:  # a number among the parts
            joined = None
    if joined is None:
        joined = scanner
        for part in parts:
            joined += "\x1f" + ("" if part is None else part if type(part) is str else str(part))
    return _sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def snippet_digest(snippet: str | None) -> str | None:
    """Hash of code text with line-number prefixes and whitespace removed, so moved code keeps its id."""
    if not snippet:
        return None
    without_numbers = _SNIPPET_LINE_NUMBER.sub("", snippet)
    normalized = "".join(without_numbers.split())
    if not normalized:
        return None
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


def mask(text: str | None, secrets: Iterable[str]) -> str | None:
    """Replace every known secret value in text; used as a second line of defence for secret findings."""
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text
