"""Findings → AWS Security Finding Format, within every limit BatchImportFindings enforces."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from findings_processor.model import Category, Finding, Severity

SCHEMA_VERSION = "2018-10-08"
TRUNCATION_MARK = " …[truncated]"
PRODUCT_NAME = "findings-processor"
# Limits from the AwsSecurityFinding shape of the Security Hub API model.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 1024
REMEDIATION_LIMIT = 512
ORIGINAL_SEVERITY_LIMIT = 64
ID_LIMIT = 512
PRODUCT_FIELD_VALUE_LIMIT = 2048
DETAILS_OTHER_VALUE_LIMIT = 1024
_SCOPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,199}")

_TYPES = {
    Category.CODE: "Software and Configuration Checks/Vulnerabilities",
    Category.VULNERABILITY: "Software and Configuration Checks/Vulnerabilities/CVE",
    Category.MISCONFIGURATION: "Software and Configuration Checks/Industry and Regulatory Standards",
    Category.SECRET: "Sensitive Data Identifications/Passwords",
    Category.LICENSE: "Software and Configuration Checks/Licenses",
}
_CONFIDENCE = {"HIGH": 90, "MEDIUM": 60, "LOW": 30}


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("eu-isoe-"):
        return "aws-iso-e"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


def validate_scope(scope: str) -> str:
    if not _SCOPE.fullmatch(scope) or "//" in scope:
        raise ValueError(
            f"scope {scope!r} must be 1-200 characters of letters, digits and ._:@/+=- "
            "(e.g. example-org/repo/develop), starting with a letter or digit"
        )
    return scope


@dataclass(frozen=True, slots=True)
class Target:
    """Where findings go: the account's default custom product in one partition and region."""

    account_id: str
    region: str
    scope: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"account id must be 12 digits, got {self.account_id!r}")
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", self.region):
            raise ValueError(f"region {self.region!r} is not an AWS region name")
        validate_scope(self.scope)

    @property
    def partition(self) -> str:
        return partition_for(self.region)

    @property
    def product_arn(self) -> str:
        return f"arn:{self.partition}:securityhub:{self.region}:{self.account_id}:product/{self.account_id}/default"

    def id_prefix(self, scanner: str) -> str:
        """Every finding Id of one (scope, scanner) starts with this: the unit archiving works on."""
        return f"{self.scope}/{scanner}/"

    def finding_id(self, finding: Finding) -> str:
        return f"{self.id_prefix(finding.scanner)}{finding.fingerprint}"


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds: Security Hub compares UpdatedAt at this resolution."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def cut(text: str, limit: int) -> tuple[str, bool]:
    """Cut on a character boundary, marking the cut; returns whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[: limit - len(TRUNCATION_MARK)].rstrip() + TRUNCATION_MARK, True


# Enum `.name`/`.value` are descriptors that cost more than the rest of a field: looked up once here.
_SEVERITY_NAMES = {severity: severity.name for severity in Severity}
_CATEGORY_VALUES = {category: category.value for category in Category}


@functools.lru_cache(maxsize=16)
def _target_constants(target: Target) -> tuple[str, str]:
    """(ProductArn, partition): the same for every finding sent to one target."""
    return target.product_arn, target.partition


def _cut(text: str, limit: int) -> str:
    # Most values are well within their limit: one length check instead of a call to cut().
    return text if len(text) <= limit else cut(text, limit)[0]


def to_asff(
    finding: Finding,
    target: Target,
    *,
    created_at: str,
    updated_at: str,
    record_state: str = "ACTIVE",
) -> dict[str, Any]:
    truncated = []
    title = finding.title
    if len(title) > TITLE_LIMIT:
        title = cut(title, TITLE_LIMIT)[0]
        truncated.append("Title")
    description = finding.description
    if len(description) > DESCRIPTION_LIMIT:
        description = cut(description, DESCRIPTION_LIMIT)[0]
        truncated.append("Description")
    product_arn, partition = _target_constants(target)
    category = finding.category
    severity = {
        "Label": _SEVERITY_NAMES[finding.severity],
        "Original": finding.severity_original[:ORIGINAL_SEVERITY_LIMIT],
    }
    types = [_TYPES[category]]
    provider_fields: dict[str, Any] = {"Severity": severity, "Types": types}
    confidence = _CONFIDENCE.get(finding.confidence.upper()) if finding.confidence else None
    if confidence is not None:
        provider_fields["Confidence"] = confidence
    scanner = finding.scanner
    record: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"{target.scope}/{scanner}/{finding.fingerprint}",
        "ProductArn": product_arn,
        "ProductName": PRODUCT_NAME,
        "GeneratorId": f"{scanner}/{finding.rule_id}"[:ID_LIMIT],
        "AwsAccountId": target.account_id,
        "Types": types,
        "CreatedAt": created_at,
        "UpdatedAt": updated_at,
        "Severity": severity,
        "FindingProviderFields": provider_fields,
        "Title": title,
        "Description": description,
        "Resources": [_resource(finding, target, partition)],
        "RecordState": record_state,
    }
    remediation = _remediation(finding)
    if remediation:
        record["Remediation"] = {"Recommendation": remediation}
    if category is Category.VULNERABILITY and finding.package:
        record["Vulnerabilities"] = [_vulnerability(finding)]
    if finding.suppressed:
        # Honoured only when the finding is created; later imports never overwrite a customer's workflow.
        record["Workflow"] = {"Status": "SUPPRESSED"}
    record["ProductFields"] = _product_fields(finding, target, truncated)
    return record


def _resource(finding: Finding, target: Target, partition: str) -> dict[str, Any]:
    if finding.resource and finding.category is Category.MISCONFIGURATION:
        resource_type, resource_id = "Other", finding.resource
    elif finding.image:
        resource_type, resource_id = "Container", finding.image
    elif finding.file:
        resource_type, resource_id = "Other", finding.file
    elif finding.package:
        resource_type, resource_id = "Other", f"pkg:{finding.package}@{finding.version or 'unknown'}"
    else:
        resource_type, resource_id = "Other", finding.resource or target.scope
    other = {}
    for key, value in (
        ("file", finding.file),
        ("lines", _lines(finding)),
        ("package", finding.package),
        ("installedVersion", finding.version),
        ("fixedVersion", finding.fixed_version),
        ("image", finding.image),
        ("layer", finding.layer),
        ("resource", finding.resource),
    ):
        if value:
            other[key] = value[:DETAILS_OTHER_VALUE_LIMIT]
    resource: dict[str, Any] = {
        "Type": resource_type,
        "Id": _cut(resource_id, ID_LIMIT),
        "Partition": partition,
        "Region": target.region,
    }
    if other:
        resource["Details"] = {"Other": other}
    return resource


def _lines(finding: Finding) -> str | None:
    if finding.start_line is None:
        return None
    if finding.end_line and finding.end_line != finding.start_line:
        return f"{finding.start_line}-{finding.end_line}"
    return str(finding.start_line)


def _remediation(finding: Finding) -> dict[str, str] | None:
    if finding.category is Category.SECRET:
        text = "Revoke and rotate this credential, then remove it from the code and its history."
    elif finding.fixed_version and finding.package:
        text = f"Upgrade {finding.package} to {finding.fixed_version}."
    elif finding.reference_url:
        text = f"See {finding.reference_url} for how to fix {finding.rule_id}."
    else:
        return None
    recommendation = {"Text": _cut(text, REMEDIATION_LIMIT)}
    if finding.reference_url and finding.reference_url.startswith(("https://", "http://")):
        recommendation["Url"] = finding.reference_url[:2048]
    return recommendation


def _vulnerability(finding: Finding) -> dict[str, Any]:
    package: dict[str, str] = {"Name": finding.package or "unknown"}
    if finding.version:
        package["Version"] = finding.version[:1024]
    if finding.fixed_version:
        package["FixedInVersion"] = finding.fixed_version[:1024]
    if finding.file:
        package["FilePath"] = finding.file[:1024]
    vulnerability: dict[str, Any] = {
        "Id": finding.rule_id[:ID_LIMIT],
        "VulnerablePackages": [package],
        "FixAvailable": "YES" if finding.fixed_version else "NO",
    }
    if finding.reference_url:
        vulnerability["ReferenceUrls"] = [finding.reference_url[:2048]]
    return vulnerability


def _product_fields(finding: Finding, target: Target, truncated: list[str]) -> dict[str, str]:
    fields = {
        "platform/Scanner": finding.scanner,
        "platform/Scope": target.scope,
        "platform/Fingerprint": finding.fingerprint,
        "platform/RuleId": finding.rule_id,
        "platform/Category": _CATEGORY_VALUES[finding.category],
        "platform/Location": finding.location,
    }
    if finding.confidence:
        fields["platform/Confidence"] = finding.confidence
    if finding.cves:
        fields["platform/CVEs"] = ",".join(finding.cves)
    if finding.cwes:
        fields["platform/CWEs"] = ",".join(finding.cwes)
    if finding.suppressed:
        fields["platform/Suppressed"] = "true"
    if truncated:
        fields["platform/Truncated"] = ",".join(truncated)
    return {key: _cut(value, PRODUCT_FIELD_VALUE_LIMIT) for key, value in fields.items() if value.strip()}


def severity_label(severity: Severity) -> str:
    return severity.name


def write_json_array(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """Stream a JSON array one record at a time: large scans never exist twice in memory."""
    count = 0
    stream.write("[")
    for record in records:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def records(findings: Iterable[Finding], target: Target, now: str) -> Iterator[dict[str, Any]]:
    for finding in findings:
        yield to_asff(finding, target, created_at=now, updated_at=now)
