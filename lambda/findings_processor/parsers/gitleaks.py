"""gitleaks JSON: v8 PascalCase objects (`[]` when clean), v7 lower-case objects (`null` when clean).

The secret itself (`Secret`, `Match`, v7 `offender` and `line`) is never copied into a finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import as_dicts, as_str, line_range, mask
from findings_processor.parsers._common import build

SCANNER = "gitleaks"
_SECRET_FIELDS = ("Secret", "Match", "offender", "line", "Line")


def matches(doc: Any) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and isinstance(doc[0], dict)
        and ("RuleID" in doc[0] or ("rule" in doc[0] and "offender" in doc[0]))
    )


def parse(doc: list[Any], ctx: ReportContext) -> Iterator[Finding]:
    for leak in as_dicts(doc):
        yield _v8(leak, ctx) if "RuleID" in leak else _v7(leak, ctx)


def _secrets(leak: Mapping[str, Any]) -> list[str]:
    return [text for text in (as_str(leak.get(key)) for key in _SECRET_FIELDS) if text and text != "REDACTED"]


def _v8(leak: Mapping[str, Any], ctx: ReportContext) -> Finding:
    rule = as_str(leak.get("RuleID")) or "unknown-rule"
    file = as_str(leak.get("File"))
    start, end = line_range(leak.get("StartLine"), leak.get("EndLine"))
    commit = as_str(leak.get("Commit"))
    secrets = _secrets(leak)
    # gitleaks' own Fingerprint is commit:file:rule:line; the secret value is never part of the id.
    tool_fingerprint = as_str(leak.get("Fingerprint")) or f"{commit}:{file}:{rule}:{start}"
    return build(
        SCANNER,
        rule,
        f"Secret: {mask(as_str(leak.get('Description')), secrets) or rule}",
        as_str(_describe(rule, file, start, commit)),
        Severity.HIGH,
        "none",
        Category.SECRET,
        # gitleaks' fingerprint has no column: two secrets on one line would share it.
        (tool_fingerprint, as_str(leak.get("StartColumn"))),
        ctx.source_report,
        file=file,
        start_line=start,
        end_line=end,
        reference_url=mask(as_str(leak.get("Link")), secrets),
    )


def _v7(leak: Mapping[str, Any], ctx: ReportContext) -> Finding:
    rule = as_str(leak.get("rule")) or "unknown-rule"
    file = as_str(leak.get("file"))
    start, _ = line_range(leak.get("lineNumber"), None)
    commit = as_str(leak.get("commit"))
    return build(
        SCANNER,
        rule,
        f"Secret: {rule}",
        as_str(_describe(rule, file, start, commit)),
        Severity.HIGH,
        "none",
        Category.SECRET,
        (f"{commit}:{file}:{rule}:{start}",),
        ctx.source_report,
        file=file,
        start_line=start,
        end_line=start,
        reference_url=mask(as_str(leak.get("leakURL")), _secrets(leak)),
    )


def _describe(rule: str, file: str | None, line: int | None, commit: str | None) -> str:
    place = file or "an unnamed file"
    if line:
        place += f" line {line}"
    if commit:
        place += f" (commit {commit[:12]})"
    return f"A secret matching rule '{rule}' was committed in {place}. Revoke it and remove it from the history."
