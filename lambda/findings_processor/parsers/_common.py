"""Construction helper that makes every parser's findings valid by design."""

from __future__ import annotations

from typing import Any

from findings_processor.model import Category, Finding, Severity
from findings_processor.normalize import as_str, one_line


def build(
    *,
    scanner: str,
    rule_id: str | None,
    title: str | None,
    description: str | None,
    severity: Severity,
    severity_original: str | None,
    category: Category,
    fingerprint: str,
    source_report: str,
    **location: Any,
) -> Finding:
    rule = one_line(rule_id, 256) or "unknown-rule"
    heading = one_line(title, 1024) or rule
    return Finding(
        scanner=scanner,
        rule_id=rule,
        title=heading,
        description=as_str(description) or heading,
        severity=severity,
        severity_original=one_line(severity_original, 64) or "none",
        category=category,
        fingerprint=fingerprint,
        source_report=source_report,
        **location,
    )
