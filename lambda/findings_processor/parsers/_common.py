"""Construction helper that makes every parser's findings valid by design."""

from __future__ import annotations

from findings_processor.model import _HEX64, Category, Finding, Severity, trusted_finding
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
    confidence: str | None = None,
    file: str | None = None,
    start_line: int | None = None,
    end_line: int | None = None,
    package: str | None = None,
    version: str | None = None,
    fixed_version: str | None = None,
    image: str | None = None,
    layer: str | None = None,
    resource: str | None = None,
    cves: tuple[str, ...] = (),
    cwes: tuple[str, ...] = (),
    reference_url: str | None = None,
    suppressed: bool = False,
) -> Finding:
    rule = one_line(rule_id, 256) or "unknown-rule"
    heading = one_line(title, 1024) or rule
    # Rule, title and description are non-empty and stripped by construction; the rest of what
    # Finding.__post_init__ checks is checked here, so the finding is made without it.
    if not scanner.strip():
        raise ValueError("finding needs a scanner, a rule id and a title")
    if not isinstance(severity, Severity):
        raise TypeError(f"severity must be a Severity, got {severity!r}")
    if not _HEX64.fullmatch(fingerprint):
        raise ValueError("fingerprint must be 64 lower-case hex digits")
    if start_line is not None and start_line < 1:
        raise ValueError(f"start_line must be >= 1, got {start_line}")
    if end_line is not None and start_line is not None and end_line < start_line:
        raise ValueError("end_line must not precede start_line")
    return trusted_finding(
        scanner,
        rule,
        heading,
        as_str(description) or heading,
        severity,
        one_line(severity_original, 64) or "none",
        category,
        fingerprint,
        confidence,
        file,
        start_line,
        end_line,
        package,
        version,
        fixed_version,
        image,
        layer,
        resource,
        cves,
        cwes,
        reference_url,
        suppressed,
        source_report,
    )
