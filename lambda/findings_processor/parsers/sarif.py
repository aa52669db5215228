"""SARIF 2.1.0 from any tool: one scanner per run, named after the run's tool driver."""

from __future__ import annotations

import re
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
    one_line,
    severity_from_score,
    snippet_digest,
)
from findings_processor.parsers._common import build

SCANNER = "sarif"
_KNOWN_TOOLS = ("trivy", "grype", "gitleaks", "semgrep", "bandit", "checkov", "trufflehog", "codeql", "snyk")
_SECRET_TOOLS = {"gitleaks", "trufflehog"}
_LEVELS = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.INFORMATIONAL,
    "none": Severity.INFORMATIONAL,
}
_NAME = re.compile(r"[^a-z0-9._-]+")


def matches(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("runs"), list) and ("version" in doc or "$schema" in doc)


def tool_name(driver_name: str | None) -> str:
    """'Semgrep OSS' → 'semgrep'; unknown tools keep a cleaned version of their own name."""
    lowered = (driver_name or "").lower()
    for known in _KNOWN_TOOLS:
        if known in lowered:
            return known
    return _NAME.sub("-", lowered).strip("-")[:64] or "sarif-tool"


def parse(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    for run in as_dicts(doc.get("runs")):
        driver = as_dict(as_dict(run.get("tool")).get("driver"))
        scanner = tool_name(as_str(driver.get("name")))
        rules = list(as_dicts(driver.get("rules")))
        rules_by_id = {rule_id: rule for rule in rules if (rule_id := as_str(rule.get("id")))}
        for invocation in as_dicts(run.get("invocations")):
            if invocation.get("executionSuccessful") is False:
                ctx.gap(scanner, "(run)", "the tool reported that its run did not complete")
            for note in as_dicts(invocation.get("toolExecutionNotifications")):
                if as_str(note.get("level")) == "error":
                    reason = one_line(as_str(as_dict(note.get("message")).get("text")), 200) or "error"
                    ctx.gap(scanner, _first_uri(note.get("locations")) or "(run)", reason)
        for result in as_dicts(run.get("results")):
            rule = _rule_for(result, rules, rules_by_id)
            yield _finding(result, rule, scanner, ctx)


def _rule_for(result: Mapping[str, Any], rules: list[Mapping[str, Any]], by_id: dict[str, Any]) -> Mapping[str, Any]:
    reference = as_dict(result.get("rule"))
    index = result.get("ruleIndex", reference.get("index"))
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rules):
        return rules[index]
    rule_id = as_str(result.get("ruleId")) or as_str(reference.get("id"))
    return as_dict(by_id.get(rule_id)) if rule_id else {}


def _first_uri(locations: Any) -> str | None:
    for location in as_dicts(locations):
        uri = as_str(as_dict(as_dict(location.get("physicalLocation")).get("artifactLocation")).get("uri"))
        if uri:
            return uri
    return None


def _severity(result: Mapping[str, Any], rule: Mapping[str, Any]) -> tuple[Severity, str]:
    properties = as_dict(rule.get("properties"))
    score = as_str(properties.get("security-severity")) or as_str(
        as_dict(result.get("properties")).get("security-severity")
    )
    from_score = severity_from_score(score)
    if from_score is not None and score is not None:
        return from_score, f"security-severity {score}"
    # The spec's default level is 'warning' when neither the result nor the rule sets one.
    level = as_str(result.get("level")) or as_str(as_dict(rule.get("defaultConfiguration")).get("level")) or "warning"
    return _LEVELS.get(level, Severity.MEDIUM), level


def _finding(result: Mapping[str, Any], rule: Mapping[str, Any], scanner: str, ctx: ReportContext) -> Finding:
    rule_id = as_str(result.get("ruleId")) or as_str(rule.get("id")) or as_str(as_dict(result.get("rule")).get("id"))
    rule_id = rule_id or "unknown-rule"
    location = next(as_dicts(result.get("locations")), {})
    physical = as_dict(location.get("physicalLocation"))
    uri = as_str(as_dict(physical.get("artifactLocation")).get("uri"))
    region = as_dict(physical.get("region"))
    start, end = line_range(region.get("startLine"), region.get("endLine"))
    snippet = as_str(as_dict(region.get("snippet")).get("text"))
    properties = as_dict(rule.get("properties"))
    tags = [text.lower() for text in (as_str(t) for t in as_list(properties.get("tags"))) if text]
    is_secret = scanner in _SECRET_TOOLS or "secret" in tags
    # Secret scanners put the credential in the snippet: it is only ever used to mask, never copied.
    secrets = [snippet] if is_secret and snippet else []
    message = mask(as_str(as_dict(result.get("message")).get("text")), secrets)
    rule_text = as_str(as_dict(rule.get("shortDescription")).get("text")) or as_str(rule.get("name"))
    full_text = as_str(as_dict(rule.get("fullDescription")).get("text")) or as_str(
        as_dict(rule.get("help")).get("text")
    )
    severity, original = _severity(result, rule)
    suppressions = list(as_dicts(result.get("suppressions")))
    suppressed = bool(suppressions) and any(as_str(s.get("status")) in (None, "accepted") for s in suppressions)
    tool_fingerprint = _tool_fingerprint(result)
    anchor = tool_fingerprint or (None if is_secret else snippet_digest(snippet)) or start
    return build(
        scanner,
        rule_id,
        f"{rule_id}: {one_line(rule_text or message, 200) or ''}",
        as_str(mask(message or full_text, secrets)),
        max(severity, Severity.HIGH) if is_secret else severity,
        original,
        Category.SECRET if is_secret else (Category.VULNERABILITY if find_cves(rule_id) else Category.CODE),
        (rule_id, uri, anchor),
        ctx.source_report,
        confidence=as_str(properties.get("precision")),
        file=uri,
        start_line=start,
        end_line=end,
        cves=find_cves(rule_id),
        cwes=find_cwes(*tags),
        reference_url=as_str(rule.get("helpUri")),
        suppressed=suppressed,
    )


def _tool_fingerprint(result: Mapping[str, Any]) -> str | None:
    partial = as_dict(result.get("partialFingerprints"))
    if partial:
        return "|".join(f"{key}={value}" for key, value in sorted(partial.items()) if isinstance(value, str))
    full = as_dict(result.get("fingerprints"))
    if full:
        # Keys carry versions ('x/v1', 'x/v2'): the highest is the tool's current scheme.
        key = max(full)
        value = full[key]
        return f"{key}={value}" if isinstance(value, str) else None
    return None
