"""grype -o json: {matches[], source, distro, descriptor}."""

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
    find_cwes,
    severity_from_score,
    severity_from_word,
)
from findings_processor.parsers._common import build

SCANNER = "grype"


def matches(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("matches"), list) and ("source" in doc or "descriptor" in doc)


def parse(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    source = as_dict(doc.get("source"))
    target = source.get("target")
    source_name = as_str(as_dict(target).get("userInput")) if isinstance(target, dict) else as_str(target)
    image = source_name if as_str(source.get("type")) == "image" else None
    for match in as_dicts(doc.get("matches")):
        vuln = as_dict(match.get("vulnerability"))
        related = list(as_dicts(match.get("relatedVulnerabilities")))
        artifact = as_dict(match.get("artifact"))
        vuln_id = as_str(vuln.get("id")) or "unknown-vulnerability"
        package = as_str(artifact.get("name")) or "(unnamed package)"
        version = as_str(artifact.get("version"))
        locations = [as_dict(location) for location in as_list(artifact.get("locations"))]
        paths = sorted({path for path in (as_str(loc.get("path")) for loc in locations) if path})
        original = as_str(vuln.get("severity"))
        severity = severity_from_word(original) or _best_score(vuln, related) or Severity.INFORMATIONAL
        fix = as_dict(vuln.get("fix"))
        fixes = [text for text in (as_str(v) for v in as_list(fix.get("versions"))) if text]
        urls = [text for text in (as_str(u) for u in as_list(vuln.get("urls"))) if text]
        description = as_str(vuln.get("description")) or next(
            (text for text in (as_str(r.get("description")) for r in related) if text), None
        )
        yield build(
            SCANNER,
            vuln_id,
            f"{vuln_id} in {package} {version or ''}",
            description,
            severity,
            original or "none",
            Category.VULNERABILITY,
            # The artifact's paths are part of the id: the same CVE at two paths is two findings to fix.
            (source_name, vuln_id, package, version, as_str(artifact.get("type")), *paths),
            ctx.source_report,
            file=paths[0] if paths and not image else None,
            package=package,
            version=version,
            fixed_version=", ".join(fixes) or None,
            image=image,
            layer=as_str(locations[0].get("layerID")) if locations else None,
            cves=find_cves(vuln_id, *(as_str(r.get("id")) for r in related)),
            cwes=find_cwes(vuln.get("cwes")) if isinstance(vuln.get("cwes"), list) else (),
            reference_url=as_str(vuln.get("dataSource")) or (urls[0] if urls else None),
        )


def _best_score(vuln: Mapping[str, Any], related: list[Mapping[str, Any]]) -> Severity | None:
    best: Severity | None = None
    for record in (vuln, *related):
        for cvss in as_dicts(record.get("cvss")):
            derived = severity_from_score(as_dict(cvss.get("metrics")).get("baseScore"))
            if derived is not None and (best is None or derived > best):
                best = derived
    return best
