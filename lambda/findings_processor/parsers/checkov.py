"""checkov -o json: one object per framework, a list of them, or a summary-only object when nothing ran."""

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
    find_cves,
    line_range,
    severity_from_score,
    severity_from_word,
)
from findings_processor.parsers._common import build

SCANNER = "checkov"
_SUMMARY_KEYS = {"passed", "failed", "skipped", "parsingerrors"}


def _is_framework_report(item: Any) -> bool:
    return isinstance(item, dict) and "check_type" in item and isinstance(item.get("results"), dict)


def matches(doc: Any) -> bool:
    if isinstance(doc, dict):
        return _is_framework_report(doc) or (doc.keys() >= _SUMMARY_KEYS and "checkov_version" in doc)
    return isinstance(doc, list) and bool(doc) and _is_framework_report(doc[0])


def parse(doc: Any, ctx: ReportContext) -> Iterator[Finding]:
    reports = doc if isinstance(doc, list) else [doc]
    for report in as_dicts(reports):
        if "results" not in report:
            # Summary-only output: nothing was evaluated. Say so rather than report a clean pass.
            if not as_dict(report).get("resourcecount"):
                ctx.notes.append("checkov evaluated no resources (summary-only report)")
            if report.get("parsingerrors"):
                ctx.gap(SCANNER, "(files)", f"{report.get('parsingerrors')} file(s) could not be parsed")
            continue
        check_type = as_str(report.get("check_type")) or "unknown"
        results = as_dict(report.get("results"))
        for path in as_list(results.get("parsing_errors")):
            ctx.gap(SCANNER, as_str(path) or "(unknown file)", f"{check_type} file could not be parsed")
        for check in as_dicts(results.get("failed_checks")):
            yield _finding(check, check_type, ctx, suppressed=False)
        for check in as_dicts(results.get("skipped_checks")):
            # Skipped checks were waived inline (`checkov:skip=`): kept, but marked suppressed.
            yield _finding(check, check_type, ctx, suppressed=True)


def _texts(key: tuple[str, str | None, str | None, str | None]) -> tuple[str, str | None]:
    """(title, description) of a failed check from its id, name, vulnerability id and description."""
    check_id, check_name, vuln_id, description = key
    return f"{check_id}: {check_name or ''}" + (f" ({vuln_id})" if vuln_id else ""), description or check_name


# A check's name and description are the same on every resource it fails: its findings share one
# title and description, which the writers then encode once (recognised by identity).
_TEXTS: Memo[tuple[str, str | None, str | None, str | None], tuple[str, str | None]] = Memo(_texts)


def _finding(check: Mapping[str, Any], check_type: str, ctx: ReportContext, *, suppressed: bool) -> Finding:
    check_id = as_str(check.get("check_id")) or "CKV_UNKNOWN"
    file = as_str(check.get("repo_file_path")) or as_str(check.get("file_path"))
    if file and file.startswith("/"):
        file = file[1:] or file
    lines = as_list(check.get("file_line_range"))
    start, end = line_range(lines[0] if lines else None, lines[-1] if lines else None)
    resource = as_str(check.get("resource"))
    original = as_str(check.get("severity"))
    details = as_dict(check.get("vulnerability_details"))
    package = as_str(details.get("package_name"))
    version = as_str(details.get("package_version"))
    vuln_id = as_str(details.get("id"))
    severity = severity_from_word(original) or severity_from_score(details.get("cvss"))
    description = as_str(check.get("description")) or as_str(details.get("description"))
    title, description = _TEXTS[(check_id, as_str(check.get("check_name")), vuln_id, description)]
    return build(
        SCANNER,
        check_id,
        title,
        description,
        # Without a platform API key checkov gives no severity; MEDIUM is the documented default.
        severity or Severity.MEDIUM,
        original or "none",
        Category.VULNERABILITY if vuln_id else Category.MISCONFIGURATION,
        # The resource names the place; lines are left out so edits around it keep the id.
        (check_type, check_id, file, resource or start, vuln_id, package, version),
        ctx.source_report,
        file=file,
        start_line=start,
        end_line=end,
        resource=resource,
        package=package,
        version=version,
        fixed_version=as_str(details.get("lowest_fixed_version")) or as_str(details.get("fixed_version")),
        cves=find_cves(vuln_id),
        reference_url=as_str(check.get("guideline")) or as_str(details.get("link")),
        suppressed=suppressed,
    )
