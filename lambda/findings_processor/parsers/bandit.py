"""bandit -f json: {errors, generated_at, metrics, results[]}."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import (
    as_dict,
    as_dicts,
    as_str,
    find_cwes,
    line_range,
    severity_from_word,
    snippet_digest,
)
from findings_processor.parsers._common import build

SCANNER = "bandit"


def matches(doc: Any) -> bool:
    return (
        isinstance(doc, dict) and isinstance(doc.get("results"), list) and ("metrics" in doc or "generated_at" in doc)
    )


def parse(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    for error in as_dicts(doc.get("errors")):
        ctx.gap(SCANNER, as_str(error.get("filename")) or "(unknown file)", as_str(error.get("reason")) or "error")
    for result in as_dicts(doc.get("results")):
        test_id = as_str(result.get("test_id")) or "B000"
        file = as_str(result.get("filename"))
        start, end = line_range(result.get("line_number"), _last(result.get("line_range")))
        original = as_str(result.get("issue_severity")) or "UNDEFINED"
        cwe = as_dict(result.get("issue_cwe"))
        # The flagged line's text, not its number, identifies the issue: moving code keeps the id.
        anchor = snippet_digest(_flagged_lines(as_str(result.get("code")), start, end)) or start
        yield build(
            SCANNER,
            test_id,
            f"{test_id} {as_str(result.get('test_name')) or ''}: {as_str(result.get('issue_text')) or ''}",
            as_str(result.get("issue_text")),
            severity_from_word(original, Severity.MEDIUM) or Severity.MEDIUM,
            original,
            Category.CODE,
            (test_id, file, anchor),
            ctx.source_report,
            confidence=as_str(result.get("issue_confidence")),
            file=file,
            start_line=start,
            end_line=end,
            cwes=find_cwes(cwe.get("id")),
            reference_url=as_str(result.get("more_info")),
        )


def _last(values: Any) -> Any:
    return values[-1] if isinstance(values, list) and values else None


def _flagged_lines(code: str | None, start: int | None, end: int | None) -> str | None:
    """bandit's `code` is numbered context lines; keep only the flagged ones."""
    if not code or start is None:
        return None
    last = end or start
    kept = []
    for line in code.splitlines():
        number, _, text = line.strip().partition(" ")
        if number.isdigit() and start <= int(number) <= last:
            kept.append(text)
    return "\n".join(kept) or None
