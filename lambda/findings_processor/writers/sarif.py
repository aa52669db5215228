"""Findings → SARIF 2.1.0, one run per scanner, with stable partialFingerprints for code scanning."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import IO, Any

from findings_processor import __version__
from findings_processor.memo import Memo, remember
from findings_processor.model import Category, Finding, Severity
from findings_processor.writers.json_text import quote, quote_text

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "platformFindingFingerprint/v1"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFORMATIONAL: "note",
}
# GitHub code scanning ranks results by this numeric string (CVSS-like scale).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFORMATIONAL: "0.0",
}
MESSAGE_LIMIT = 4096
# Enum `.name`/`.value` are descriptors that cost more than the rest of a field: looked up once here.
_SEVERITY_NAMES = {severity: severity.name for severity in Severity}
_CATEGORY_VALUES = {category: category.value for category in Category}


def write(findings: Sequence[Finding], stream: IO[str]) -> None:
    by_scanner: dict[str, list[Finding]] = {}
    scanner, group = None, []
    for finding in findings:
        # Findings arrive report by report: the group changes only where the scanner does.
        if finding.scanner != scanner:
            scanner = finding.scanner
            group = by_scanner.setdefault(scanner, [])
        group.append(finding)
    stream.write(f'{{"$schema":"{SARIF_SCHEMA}","version":"2.1.0","runs":[')
    for run_number, (scanner, group) in enumerate(sorted(by_scanner.items())):
        if run_number:
            stream.write(",")
        _write_run(scanner, group, stream)
    stream.write("]}\n")


_RESULTS_PER_WRITE = 256
_INFORMATION_URI = "https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html"


def _write_run(scanner: str, findings: list[Finding], stream: IO[str]) -> None:
    # Rules in order of first appearance; each as severe as its worst result (vulnerability ids are
    # rated per package). Severity's order is the order of _SECURITY_SEVERITY's scores.
    first: dict[str, Finding] = {}
    worst: dict[str, Severity] = {}
    for finding in findings:
        rule_id, severity = finding.rule_id, finding.severity
        known = worst.get(rule_id)
        if known is None:
            first[rule_id] = finding
            worst[rule_id] = severity
        elif severity > known:
            worst[rule_id] = severity
    stream.write(
        f'{{"tool":{{"driver":{{"name":{quote(scanner)},"informationUri":{quote(_INFORMATION_URI)},'
        f'"semanticVersion":{quote(__version__)},"rules":['
    )
    stream.write(
        ",".join([_rule_json(finding, _SECURITY_SEVERITY[worst[rule_id]]) for rule_id, finding in first.items()])
    )
    stream.write(']}},"columnKind":"unicodeCodePoints","results":[')
    # Each result starts with its rule's id and index: encoded once per rule, not once per result.
    heads = {rule_id: f'{{"ruleId":{quote(rule_id)},"ruleIndex":{index},' for index, rule_id in enumerate(first)}
    texts: _Texts = {}
    # Written in slices of results: one write per result costs more than its encoding on large runs.
    for start in range(0, len(findings), _RESULTS_PER_WRITE):
        if start:
            stream.write(",")
        part = findings[start : start + _RESULTS_PER_WRITE]
        stream.write(",".join([_result_json(finding, heads[finding.rule_id], texts) for finding in part]))
    stream.write("]}")


def _rule_json(finding: Finding, security_severity: str) -> str:
    """The rule as compact JSON, identical to json.dumps of _rule() rated `security_severity`."""
    tags = _TAGS[(finding.category, finding.cwes)]
    url = finding.reference_url
    help_uri = f',"helpUri":{quote(url)}' if url and url.startswith(("https://", "http://")) else ""
    return (
        f'{{"id":{quote(finding.rule_id)},"shortDescription":{{"text":{quote(finding.title[:1024])}}},'
        f'"properties":{{"security-severity":{quote(security_severity)},"tags":[{tags}]}}{help_uri}}}'
    )


# A rule's tags depend on its category and CWEs only: encoded once per distinct pair.
_TAGS: Memo[tuple[Category, tuple[str, ...]], str] = Memo(
    lambda key: ",".join([quote(tag) for tag in ("security", _CATEGORY_VALUES[key[0]], *key[1])])
)


def _rule(finding: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "shortDescription": {"text": finding.title[:1024]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[finding.severity],
            "tags": ["security", _CATEGORY_VALUES[finding.category], *finding.cwes],
        },
    }
    if finding.reference_url and finding.reference_url.startswith(("https://", "http://")):
        rule["helpUri"] = finding.reference_url
    return rule


# Direct encoding: _result_json() returns exactly json.dumps(_result(...), ensure_ascii=False,
# separators=(",", ":")) without building the dict, which cost more than the encoding itself. What
# depends only on a severity, a (severity, original severity, category) or a file is encoded once.
_LEVELS = {severity: f'"level":{quote(level)},"message":{{"text":' for severity, level in _LEVEL.items()}
# A Finding's fingerprint is 64 hex digits (checked when it is made): nothing to escape.
_FINGERPRINT = '},"partialFingerprints":{"' + FINGERPRINT_KEY + '":"'
_SUPPRESSED_JSON = ',"suppressions":[{"kind":"external","status":"accepted"}]'


def _properties_json(key: tuple[Severity, str, Category]) -> str:
    """The start of a result's properties, up to the optional ones."""
    severity, original, category = key
    return (
        f',"properties":{{"severity":{quote(_SEVERITY_NAMES[severity])},"originalSeverity":{quote(original)}'
        f',"category":{quote(_CATEGORY_VALUES[category])}'
    )


def _physical_location_json(path: str) -> str:
    return f'}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":{quote(_uri(path))}}}'


_PROPERTIES: Memo[tuple[Severity, str, Category], str] = Memo(_properties_json)
# Many results share a file, and the URI's percent-encoding walks the path character by character.
_PHYSICAL_LOCATIONS: Memo[str, str] = Memo(_physical_location_json)


# Per rule id: the title and description last encoded for it and their encoded message text.
_Texts = dict[str, tuple[str, str, str]]


def _result_json(finding: Finding, head: str, texts: _Texts) -> str:
    """The result as compact JSON; `head` is the encoded `{"ruleId":...,"ruleIndex":...,`."""
    severity = finding.severity
    title, description = finding.title, finding.description
    # Results of one rule often share their texts (the same strings, where a parser made them once
    # per rule message): their message is encoded once, recognised by identity.
    known = texts.get(finding.rule_id)
    if known is None or known[0] is not title or known[1] is not description:
        text = title if description == title else f"{title}\n\n{description}"
        known = remember(texts, finding.rule_id, (title, description, quote_text(text[:MESSAGE_LIMIT])))
    message = known[2]
    # The optional parts are small: each is built on its own and the long result is joined once.
    optional = ""
    if finding.package:
        optional += f',"package":{quote(finding.package)}'
    if finding.version:
        optional += f',"installedVersion":{quote(finding.version)}'
    if finding.fixed_version:
        optional += f',"fixedVersion":{quote(finding.fixed_version)}'
    if finding.image:
        optional += f',"image":{quote(finding.image)}'
    if finding.resource:
        optional += f',"resource":{quote(finding.resource)}'
    if finding.cves:
        optional += f',"cves":[{",".join(map(quote, finding.cves))}]'
    file, start = finding.file, finding.start_line
    if not file:
        name = quote(finding.location)
        location = f'}},"locations":[{{"logicalLocations":[{{"fullyQualifiedName":{name},"kind":"module"}}]}}]'
    elif start:
        region = f',"region":{{"startLine":{start},"endLine":{finding.end_line or start}}}}}}}]'
        location = _PHYSICAL_LOCATIONS[file] + region
    else:
        location = _PHYSICAL_LOCATIONS[file] + "}}]"
    return (
        f'{head}{_LEVELS[severity]}{message}{_FINGERPRINT}{finding.fingerprint}"}}'
        f"{_PROPERTIES[(severity, finding.severity_original, finding.category)]}{optional}{location}"
        f"{_SUPPRESSED_JSON if finding.suppressed else ''}}}"
    )


def _uri(path: str) -> str:
    return urllib.parse.quote(path.replace("\\", "/"), safe="/:@!$&'()*+,;=-._~")


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    text = finding.title if finding.description == finding.title else f"{finding.title}\n\n{finding.description}"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": text[:MESSAGE_LIMIT]},
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": _SEVERITY_NAMES[finding.severity],
            "originalSeverity": finding.severity_original,
            "category": _CATEGORY_VALUES[finding.category],
        },
    }
    if finding.file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.file)}}
        if finding.start_line:
            physical["region"] = {"startLine": finding.start_line, "endLine": finding.end_line or finding.start_line}
        result["locations"] = [{"physicalLocation": physical}]
    else:
        result["locations"] = [{"logicalLocations": [{"fullyQualifiedName": finding.location, "kind": "module"}]}]
    properties = result["properties"]
    for key, value in (
        ("package", finding.package),
        ("installedVersion", finding.version),
        ("fixedVersion", finding.fixed_version),
        ("image", finding.image),
        ("resource", finding.resource),
    ):
        if value:
            properties[key] = value
    if finding.cves:
        properties["cves"] = list(finding.cves)
    if finding.suppressed:
        result["suppressions"] = [{"kind": "external", "status": "accepted"}]
    return result
