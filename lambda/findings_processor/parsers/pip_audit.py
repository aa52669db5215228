"""pip-audit -f json: legacy list of dependencies, or {"dependencies": [...], "fixes": [...]}."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import as_dicts, as_list, as_str, find_cves
from findings_processor.parsers._common import build

SCANNER = "pip-audit"


def _is_dependency(item: Any) -> bool:
    return isinstance(item, dict) and "name" in item and ("vulns" in item or "skip_reason" in item)


def matches(doc: Any) -> bool:
    if isinstance(doc, dict) and isinstance(doc.get("dependencies"), list):
        deps = doc["dependencies"]
        return not deps or _is_dependency(deps[0])
    return isinstance(doc, list) and bool(doc) and _is_dependency(doc[0])


def parse(doc: Any, ctx: ReportContext) -> Iterator[Finding]:
    dependencies = doc.get("dependencies") if isinstance(doc, dict) else doc
    for dependency in as_dicts(dependencies):
        name = as_str(dependency.get("name")) or "(unnamed package)"
        version = as_str(dependency.get("version"))
        skip_reason = as_str(dependency.get("skip_reason"))
        if skip_reason:
            # pip-audit could not check this package: a gap in coverage, never a silent pass.
            ctx.gap(SCANNER, f"{name}{'==' + version if version else ''}", skip_reason)
            continue
        for vuln in as_dicts(dependency.get("vulns")):
            vuln_id = as_str(vuln.get("id")) or "unknown-advisory"
            aliases = [alias for alias in (as_str(a) for a in as_list(vuln.get("aliases"))) if alias]
            fixes = [fix for fix in (as_str(v) for v in as_list(vuln.get("fix_versions"))) if fix]
            description = as_str(vuln.get("description"))
            yield build(
                SCANNER,
                vuln_id,
                f"{vuln_id} in {name} {version or ''}",
                description,
                # pip-audit carries no severity; MEDIUM is the documented default for unrated advisories.
                Severity.MEDIUM,
                "none",
                Category.VULNERABILITY,
                (vuln_id, name.lower(), version),
                ctx.source_report,
                package=name,
                version=version,
                fixed_version=", ".join(fixes) or None,
                cves=find_cves(vuln_id, *aliases),
                reference_url=_advisory_url(vuln_id),
            )


def _advisory_url(vuln_id: str) -> str | None:
    if vuln_id.startswith(("PYSEC-", "GHSA-", "OSV-")):
        return f"https://osv.dev/vulnerability/{vuln_id}"
    return None
