"""trivy -f json: schema 2 (image, fs, config, secret, license), legacy list, `null`, and k8s layouts."""

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
    line_range,
    mask,
    severity_from_score,
    severity_from_word,
)
from findings_processor.parsers._common import build

SCANNER = "trivy"
_RESULT_KEYS = ("Vulnerabilities", "Misconfigurations", "Secrets", "Licenses")


def _is_result(item: Any) -> bool:
    return isinstance(item, dict) and "Target" in item and ("Type" in item or any(k in item for k in _RESULT_KEYS))


def matches(doc: Any) -> bool:
    if isinstance(doc, dict):
        return ("SchemaVersion" in doc and ("Results" in doc or "ArtifactName" in doc)) or "ClusterName" in doc
    return isinstance(doc, list) and bool(doc) and _is_result(doc[0])


def parse(doc: Any, ctx: ReportContext) -> Iterator[Finding]:
    if isinstance(doc, list):
        yield from _results(doc, ctx, image=None, resource=None)
        return
    if "ClusterName" in doc:
        cluster = as_str(doc.get("ClusterName"))
        workloads = [*as_list(doc.get("Resources")), *as_list(doc.get("Vulnerabilities"))]
        workloads += as_list(doc.get("Misconfigurations"))
        for workload in as_dicts(workloads):
            name = "/".join(
                part for part in (cluster, as_str(workload.get("Namespace")), as_str(workload.get("Kind"))) if part
            )
            resource = f"{name}/{as_str(workload.get('Name')) or ''}".strip("/") or None
            yield from _results(as_list(workload.get("Results")), ctx, image=None, resource=resource)
        return
    artifact = as_str(doc.get("ArtifactName"))
    image = artifact if as_str(doc.get("ArtifactType")) == "container_image" else None
    yield from _results(as_list(doc.get("Results")), ctx, image=image, resource=None)


def _results(results: list[Any], ctx: ReportContext, *, image: str | None, resource: str | None) -> Iterator[Finding]:
    for result in as_dicts(results):
        target = as_str(result.get("Target")) or "(unknown target)"
        # OS packages belong to the image (or host) the target names, not to a file in the repository.
        os_packages = as_str(result.get("Class")) == "os-pkgs"
        where = _Where(target=target, image=image or (target if os_packages else None), resource=resource)
        for vuln in as_dicts(result.get("Vulnerabilities")):
            yield _vulnerability(vuln, where, ctx)
        for misconfiguration in as_dicts(result.get("Misconfigurations")):
            status = as_str(misconfiguration.get("Status")) or "FAIL"
            if status == "PASS":
                continue
            yield _misconfiguration(misconfiguration, where, ctx, suppressed=status == "EXCEPTION")
        for secret in as_dicts(result.get("Secrets")):
            yield _secret(secret, where, ctx)
        for license_ in as_dicts(result.get("Licenses")):
            yield _license(license_, where, ctx)


class _Where:
    __slots__ = ("file", "image", "resource", "target")

    def __init__(self, *, target: str, image: str | None, resource: str | None) -> None:
        self.target = target
        self.image = image
        self.resource = resource
        # In an image scan the target names the image, not a file in the repository.
        self.file = None if image and target.startswith(image) else target


def _severity(item: Mapping[str, Any]) -> tuple[Severity, str]:
    original = as_str(item.get("Severity")) or "UNKNOWN"
    severity = severity_from_word(original)
    if severity is None or (severity is Severity.INFORMATIONAL and original.upper() == "UNKNOWN"):
        # No rating from trivy: fall back to the best CVSS score it carries (NVD first).
        cvss = as_dict(item.get("CVSS"))
        for source in ("nvd", *cvss.keys()):
            scores = as_dict(cvss.get(source))
            derived = severity_from_score(scores.get("V3Score")) or severity_from_score(scores.get("V2Score"))
            if derived is not None:
                return derived, original
    return severity or Severity.INFORMATIONAL, original


def _vulnerability(vuln: Mapping[str, Any], where: _Where, ctx: ReportContext) -> Finding:
    vuln_id = as_str(vuln.get("VulnerabilityID")) or "unknown-vulnerability"
    package = as_str(vuln.get("PkgName")) or "(unnamed package)"
    version = as_str(vuln.get("InstalledVersion"))
    pkg_path = as_str(vuln.get("PkgPath"))
    severity, original = _severity(vuln)
    layer = as_dict(vuln.get("Layer"))
    title = as_str(vuln.get("Title"))
    return build(
        SCANNER,
        vuln_id,
        f"{vuln_id} in {package} {version or ''}" + (f": {title}" if title else ""),
        as_str(vuln.get("Description")) or title,
        severity,
        original,
        Category.VULNERABILITY,
        # Package and path are part of the id: one CVE in two packages is two findings (trivy's ASFF collides).
        (where.resource, where.target, vuln_id, package, version, pkg_path),
        ctx.source_report,
        file=pkg_path or where.file,
        package=package,
        version=version,
        fixed_version=as_str(vuln.get("FixedVersion")),
        image=where.image,
        layer=as_str(layer.get("DiffID")) or as_str(layer.get("Digest")),
        resource=where.resource,
        cves=find_cves(vuln_id),
        cwes=find_cwes(vuln.get("CweIDs")),
        reference_url=as_str(vuln.get("PrimaryURL")),
    )


def _misconfiguration(item: Mapping[str, Any], where: _Where, ctx: ReportContext, *, suppressed: bool) -> Finding:
    check_id = as_str(item.get("ID")) or as_str(item.get("AVDID")) or "unknown-check"
    cause = as_dict(item.get("CauseMetadata"))
    start, end = line_range(cause.get("StartLine"), cause.get("EndLine"))
    cause_resource = as_str(cause.get("Resource"))
    severity, original = _severity(item)
    message = as_str(item.get("Message"))
    description = as_str(item.get("Description"))
    return build(
        SCANNER,
        check_id,
        f"{check_id}: {as_str(item.get('Title')) or message or ''}",
        as_str("\n\n".join(text for text in (message, description) if text)),
        severity,
        original,
        Category.MISCONFIGURATION,
        (where.resource, where.target, check_id, cause_resource or start),
        ctx.source_report,
        file=where.file,
        start_line=start,
        end_line=end,
        image=where.image,
        resource=cause_resource or where.resource,
        reference_url=as_str(item.get("PrimaryURL")),
        suppressed=suppressed,
    )


def _secret(item: Mapping[str, Any], where: _Where, ctx: ReportContext) -> Finding:
    # `Match` is masked by trivy but `Code.Lines` are not: neither is read, only the rule and the place.
    rule_id = as_str(item.get("RuleID")) or "unknown-secret-rule"
    start, end = line_range(item.get("StartLine"), item.get("EndLine"))
    severity, original = _severity(item)
    title = as_str(item.get("Title")) or rule_id
    layer = as_dict(item.get("Layer"))
    category = as_str(item.get("Category"))
    return build(
        SCANNER,
        rule_id,
        f"Secret: {title}",
        as_str(
            mask(
                f"A {category or 'secret'} credential ({title}) was found in {where.target}"
                + (f" at line {start}" if start else "")
                + ". Revoke it and remove it from the history.",
                _secret_values(item),
            )
        ),
        max(severity, Severity.HIGH),
        original,
        Category.SECRET,
        (where.resource, where.target, rule_id, start),
        ctx.source_report,
        file=where.file,
        start_line=start,
        end_line=end,
        image=where.image,
        layer=as_str(layer.get("DiffID")) or as_str(layer.get("Digest")),
        resource=where.resource,
    )


def _secret_values(item: Mapping[str, Any]) -> list[str]:
    values = [as_str(item.get("Match")) or ""]
    for line in as_dicts(as_dict(item.get("Code")).get("Lines")):
        values.append(as_str(line.get("Content")) or "")
    return values


def _license(item: Mapping[str, Any], where: _Where, ctx: ReportContext) -> Finding:
    name = as_str(item.get("Name")) or "unknown-license"
    package = as_str(item.get("PkgName"))
    file = as_str(item.get("FilePath"))
    severity, original = _severity(item)
    category = as_str(item.get("Category")) or "unknown"
    return build(
        SCANNER,
        f"license/{name}",
        f"License {name} ({category})" + (f" in {package}" if package else ""),
        as_str(f"{package or file or where.target} is licensed under {name}, classified {category}."),
        severity,
        original,
        Category.LICENSE,
        (where.resource, where.target, name, package, file),
        ctx.source_report,
        file=file or where.file,
        package=package,
        image=where.image,
        reference_url=as_str(item.get("Link")),
    )
