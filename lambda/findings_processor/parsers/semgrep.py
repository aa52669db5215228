"""semgrep --json: {version, results[], errors[], paths, skipped_rules}."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from findings_processor.memo import Memo
from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import (
    as_dict,
    as_dicts,
    as_list,
    as_str,
    as_str_and_line,
    find_cves,
    find_cwes,
    line_range,
    one_line,
    severity_from_word,
    snippet_digest,
)
from findings_processor.parsers._common import build

SCANNER = "semgrep"
# Logged-out semgrep >= 1.100 replaces fingerprints and matched lines with this placeholder.
_LOGIN_PLACEHOLDER = "requires login"


def matches(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        return False
    results = doc["results"]
    if results:
        return isinstance(results[0], dict) and "check_id" in results[0]
    # An empty semgrep report is just {"errors": [], "results": []}; bandit's always has metrics.
    return "errors" in doc and "metrics" not in doc and "generated_at" not in doc


def parse(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    for error in as_dicts(doc.get("errors")):
        spans = [as_dict(span) for span in as_list(error.get("spans"))]
        what = as_str(error.get("path")) or (as_str(spans[0].get("file")) if spans else None) or "(scan)"
        reason = one_line(as_str(error.get("type")) or as_str(error.get("message")), 200) or "error"
        if isinstance(error.get("type"), list):
            reason = one_line(" ".join(str(part) for part in error["type"] if isinstance(part, str)), 200) or reason
        ctx.gap(SCANNER, what, reason)
    for result in as_dicts(doc.get("results")):
        yield _finding(result, ctx)


def _usable(value: str | None) -> str | None:
    return value if value and value != _LOGIN_PLACEHOLDER else None


def _rule_names(check_id: Any) -> tuple[str, str]:
    """(rule id, its last dotted part) for a raw check_id."""
    rule_id = as_str(check_id) or "unknown-rule"
    return rule_id, rule_id.rsplit(".", 1)[-1]


# semgrep copies a rule's id onto every one of its results: each distinct id is cleaned once.
# Keyed by the string as read, so the value is exactly what cleaning it gives.
_RULE_NAMES: Memo[str, tuple[str, str]] = Memo(_rule_names)


def _texts(key: tuple[str, str, object]) -> tuple[str, str | None]:
    """(title, description) of a result of rule `check_id` (last part `short_name`) with this message."""
    check_id, short_name, raw_message = key
    message, headline = as_str_and_line(raw_message, 200)
    return f"{short_name}: {headline or check_id}", message


# A result's message is its rule's (metavariables interpolated, at most): the ../shared/corpus
# reports carry 14 distinct messages over 194 results. Each distinct (rule, message) is cleaned
# once, and its findings share the same title and description strings, which the writers then
# encode once (they recognise a text they have just encoded by identity).
_TEXTS: Memo[tuple[str, str, object], tuple[str, str | None]] = Memo(_texts)


def _severity(raw: object) -> tuple[str, Severity]:
    """(the original severity, as kept; what it means) for a result's raw severity."""
    original = as_str(raw) or "WARNING"
    return original, severity_from_word(original, Severity.MEDIUM) or Severity.MEDIUM


# semgrep's severities are a handful of words: each read once.
_SEVERITIES: Memo[str, tuple[str, Severity]] = Memo(_severity)


def _finding(result: Mapping[str, Any], ctx: ReportContext) -> Finding:
    raw_check_id = result.get("check_id")
    check_id, short_name = _RULE_NAMES[raw_check_id] if type(raw_check_id) is str else _rule_names(raw_check_id)
    extra = as_dict(result.get("extra"))
    metadata = as_dict(extra.get("metadata"))
    file = as_str(result.get("path"))
    start, end = line_range(as_dict(result.get("start")).get("line"), as_dict(result.get("end")).get("line"))
    raw_severity = extra.get("severity")
    original, severity = _SEVERITIES[raw_severity] if type(raw_severity) is str else _severity(raw_severity)
    raw_message = extra.get("message")
    key = (check_id, short_name, raw_message)
    title, message = _TEXTS[key] if type(raw_message) is str else _texts(key)
    # semgrep's fingerprint (or the matched text) survives code moving; the line number is the last resort.
    anchor = _usable(as_str(extra.get("fingerprint"))) or snippet_digest(_usable(as_str(extra.get("lines")))) or start
    return build(
        SCANNER,
        check_id,
        title,
        message,
        severity,
        original,
        Category.CODE,
        (check_id, file, anchor),
        ctx.source_report,
        confidence=as_str(metadata.get("confidence")),
        file=file,
        start_line=start,
        end_line=end,
        cves=find_cves(*(as_str(c) for c in as_list(cves))) if (cves := metadata.get("cve")) else (),
        cwes=find_cwes(metadata.get("cwe")),
        # The references are read only when there is no shortlink: most rules have one.
        reference_url=as_str(metadata.get("shortlink")) or _first_reference(metadata),
        suppressed=extra.get("is_ignored") is True,
    )


def _first_reference(metadata: Mapping[str, Any]) -> str | None:
    return next((text for text in (as_str(r) for r in as_list(metadata.get("references"))) if text), None)
