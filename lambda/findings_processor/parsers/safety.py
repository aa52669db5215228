"""safety: v1 list of [name, spec, version, advisory, id], v2 `report_meta`, v3 `scan` (schema 3.0)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import (
    as_dict,
    as_dicts,
    as_list,
    as_str,
    find_cves,
    severity_from_score,
    severity_from_word,
)
from findings_processor.parsers._common import build

SCANNER = "safety"


def matches(doc: Any) -> bool:
    if isinstance(doc, dict):
        return ("report_meta" in doc and "vulnerabilities" in doc) or (
            "scan_results" in doc and isinstance(doc.get("meta"), dict)
        )
    return (
        isinstance(doc, list)
        and bool(doc)
        and isinstance(doc[0], list)
        and len(doc[0]) >= 5
        and all(isinstance(v, str | None) for v in doc[0][:5])
    )


def parse(doc: Any, ctx: ReportContext) -> Iterator[Finding]:
    if isinstance(doc, list):
        yield from _v1(doc, ctx)
    elif "scan_results" in doc:
        yield from _v3(doc, ctx)
    else:
        yield from _v2(doc, ctx)


def _finding(
    ctx: ReportContext,
    *,
    vuln_id: str,
    package: str,
    version: str | None,
    spec: str | None,
    advisory: str | None,
    cve: str | None,
    cvss: Mapping[str, Any],
    fixed: str | None,
    url: str | None,
) -> Finding:
    base_severity = as_str(cvss.get("base_severity"))
    severity = severity_from_word(base_severity) or severity_from_score(cvss.get("base_score"))
    return build(
        SCANNER,
        vuln_id,
        f"{cve or vuln_id} in {package} {version or spec or ''}",
        advisory,
        # Free-tier safety reports carry no rating: MEDIUM, as for other unrated advisories.
        severity or Severity.MEDIUM,
        base_severity or as_str(cvss.get("base_score")) or "none",
        Category.VULNERABILITY,
        (vuln_id, package.lower(), version or spec),
        ctx.source_report,
        package=package,
        version=version,
        fixed_version=fixed,
        cves=find_cves(cve, advisory if cve is None else None),
        reference_url=url,
    )


def _v1(doc: list[Any], ctx: ReportContext) -> Iterator[Finding]:
    for row in doc:
        if not isinstance(row, list) or len(row) < 5:
            ctx.notes.append("skipped a safety v1 row that is not [name, spec, version, advisory, id]")
            continue
        package = as_str(row[0]) or "(unnamed package)"
        advisory = as_str(row[3])
        yield _finding(
            ctx,
            vuln_id=as_str(row[4]) or "unknown-advisory",
            package=package,
            version=as_str(row[2]),
            spec=as_str(row[1]),
            advisory=advisory,
            cve=None,
            cvss={},
            fixed=None,
            url=None,
        )


def _spec(value: Any) -> str | None:
    # `vulnerable_spec` is a string in 2.3.5 and a list in 2.0b1 and 3.x.
    if isinstance(value, list):
        return ",".join(text for text in (as_str(v) for v in value) if text) or None
    return as_str(value)


def _v2(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    for vuln in as_dicts(doc.get("vulnerabilities")):
        severity = as_dict(vuln.get("severity"))
        cvss = as_dict(severity.get("cvssv3")) or as_dict(severity.get("cvssv2"))
        fixed = [text for text in (as_str(v) for v in as_list(vuln.get("fixed_versions"))) if text]
        yield _finding(
            ctx,
            vuln_id=as_str(vuln.get("vulnerability_id")) or "unknown-advisory",
            package=as_str(vuln.get("package_name")) or "(unnamed package)",
            version=as_str(vuln.get("analyzed_version")),
            spec=_spec(vuln.get("vulnerable_spec")),
            advisory=as_str(vuln.get("advisory")),
            cve=as_str(vuln.get("CVE")),
            cvss=cvss,
            fixed=", ".join(fixed[:10]) or None,
            url=as_str(vuln.get("more_info_url")),
        )


def _v3(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    results = as_dict(doc.get("scan_results"))
    files = list(as_dicts(results.get("files")))
    for project in as_dicts(results.get("projects")):
        files.extend(as_dicts(project.get("files")))
    for file in files:
        for dependency in as_dicts(as_dict(file.get("results")).get("dependencies")):
            package = as_str(dependency.get("name")) or "(unnamed package)"
            for specification in as_dicts(dependency.get("specifications")):
                raw = as_str(specification.get("raw"))
                version = raw.split("==", 1)[1].strip() if raw and "==" in raw else None
                vulnerabilities = as_dict(specification.get("vulnerabilities"))
                recommended = as_str(as_dict(vulnerabilities.get("remediation")).get("recommended"))
                for known in as_dicts(vulnerabilities.get("known_vulnerabilities")):
                    if known.get("ignored"):
                        continue
                    cve = as_dict(known.get("cve"))
                    cvss = as_dict(cve.get("cvssv3")) or as_dict(cve.get("cvssv2"))
                    vuln_id = as_str(known.get("id")) or "unknown-advisory"
                    yield _finding(
                        ctx,
                        vuln_id=vuln_id,
                        package=package,
                        version=version,
                        spec=raw or _spec(known.get("vulnerable_spec")),
                        advisory=as_str(cve.get("advisory")),
                        cve=as_str(cve.get("name")),
                        cvss=cvss,
                        fixed=recommended,
                        url=f"https://data.safetycli.com/v/{vuln_id}/eda" if vuln_id.isdigit() else None,
                    )
