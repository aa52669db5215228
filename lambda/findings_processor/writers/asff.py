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


# Direct encoding. `encode()` returns exactly json.dumps(to_asff(...), ensure_ascii=False,
# separators=(",", ":")) without building the dict: on large scans building and then encoding the
# dict cost more than parsing the report. What is the same for every record of one (target,
# scanner, timestamps) is encoded once, per-record strings go through the encoder json.dumps uses.
_quote = json.encoder.encode_basestring  # ensure_ascii=False string encoding (the C one when built)


def _members(pairs: Iterable[tuple[str, str]], limit: int) -> list[str]:
    return [f"{_quote(key)}:{_quote(_cut(value, limit))}" for key, value in pairs if value.strip()]


@functools.lru_cache(maxsize=64)
def _frame(target: Target, scanner: str, created_at: str, updated_at: str, record_state: str) -> _Frame:
    product_arn, partition = _target_constants(target)
    times = f',"CreatedAt":{_quote(created_at)},"UpdatedAt":{_quote(updated_at)},"Severity":'
    return _Frame(
        head='{"SchemaVersion":' + _quote(SCHEMA_VERSION) + ',"Id":' + _quote(f"{target.scope}/{scanner}/")[:-1],
        product=f'","ProductArn":{_quote(product_arn)},"ProductName":{_quote(PRODUCT_NAME)},"GeneratorId":',
        account=f',"AwsAccountId":{_quote(target.account_id)},"Types":',
        types={category: (_json_list([name]), _json_list([name]) + times) for category, name in _TYPES.items()},
        place=f',"Partition":{_quote(partition)},"Region":{_quote(target.region)}',
        state=f'],"RecordState":{_quote(record_state)}',
        fields=",".join(
            _members((("platform/Scanner", scanner), ("platform/Scope", target.scope)), PRODUCT_FIELD_VALUE_LIMIT)
        ),
    )


def _json_list(items: list[str]) -> str:
    return "[" + ",".join(_quote(item) for item in items) + "]"


@dataclass(frozen=True, slots=True)
class _Frame:
    head: str
    product: str
    account: str
    types: dict[Category, tuple[str, str]]
    place: str
    state: str
    fields: str


@functools.lru_cache(maxsize=1024)
def _severity_json(severity: Severity, original: str) -> str:
    return f'{{"Label":{_quote(_SEVERITY_NAMES[severity])},"Original":{_quote(original[:ORIGINAL_SEVERITY_LIMIT])}}}'


_SECRET_REMEDIATION = _quote("Revoke and rotate this credential, then remove it from the code and its history.")


def encode(
    finding: Finding,
    target: Target,
    *,
    created_at: str,
    updated_at: str,
    record_state: str = "ACTIVE",
) -> str:
    """The ASFF record of `finding` as compact JSON, identical to json.dumps of to_asff()."""
    return _encode(finding, target, _frame(target, finding.scanner, created_at, updated_at, record_state))


def _encode(finding: Finding, target: Target, frame: _Frame) -> str:
    category = finding.category
    types, types_and_times = frame.types[category]
    truncated = []
    title = finding.title
    if len(title) > TITLE_LIMIT:
        title = cut(title, TITLE_LIMIT)[0]
        truncated.append("Title")
    description = finding.description
    if len(description) > DESCRIPTION_LIMIT:
        description = cut(description, DESCRIPTION_LIMIT)[0]
        truncated.append("Description")
    severity = _severity_json(finding.severity, finding.severity_original)
    confidence = _CONFIDENCE.get(finding.confidence.upper()) if finding.confidence else None
    rule_id = finding.rule_id
    parts = [
        frame.head,
        finding.fingerprint,
        frame.product,
        _quote(f"{finding.scanner}/{rule_id}"[:ID_LIMIT]),
        frame.account,
        types_and_times,
        severity,
        ',"FindingProviderFields":{"Severity":',
        severity,
        ',"Types":',
        types,
        "}" if confidence is None else f',"Confidence":{confidence}}}',
        ',"Title":',
        _quote(title),
        ',"Description":',
        _quote(description),
        ',"Resources":[',
        _resource_json(finding, target, frame.place),
        frame.state,
    ]
    _extras(finding, parts)
    parts += (',"ProductFields":{', _product_fields_json(finding, frame.fields, truncated), "}}")
    return "".join(parts)


def _extras(finding: Finding, parts: list[str]) -> None:
    """Remediation, Vulnerabilities and Workflow, as to_asff() adds them."""
    category, rule_id = finding.category, finding.rule_id
    file, package, fixed_version, url = finding.file, finding.package, finding.fixed_version, finding.reference_url
    if category is Category.SECRET:
        text = _SECRET_REMEDIATION
    elif fixed_version and package:
        text = _quote(_cut(f"Upgrade {package} to {fixed_version}.", REMEDIATION_LIMIT))
    elif url:
        text = _quote(_cut(f"See {url} for how to fix {rule_id}.", REMEDIATION_LIMIT))
    else:
        text = ""
    if text:
        parts += (',"Remediation":{"Recommendation":{"Text":', text)
        if url and url.startswith(("https://", "http://")):
            parts += (',"Url":', _quote(url[:2048]))
        parts.append("}}")
    if category is Category.VULNERABILITY and package:
        parts += (',"Vulnerabilities":[{"Id":', _quote(rule_id[:ID_LIMIT]), ',"VulnerablePackages":[{"Name":')
        parts.append(_quote(package))
        if finding.version:
            parts += (',"Version":', _quote(finding.version[:1024]))
        if fixed_version:
            parts += (',"FixedInVersion":', _quote(fixed_version[:1024]))
        if file:
            parts += (',"FilePath":', _quote(file[:1024]))
        parts.append('}],"FixAvailable":"YES"' if fixed_version else '}],"FixAvailable":"NO"')
        if url:
            parts += (',"ReferenceUrls":[', _quote(url[:2048]), "]")
        parts.append("}]")
    if finding.suppressed:
        parts.append(',"Workflow":{"Status":"SUPPRESSED"}')


_FIELD_KEYS = {
    key: _quote(f"platform/{key}") + ":"
    for key in ("RuleId", "Location", "Confidence", "CVEs", "CWEs", "Suppressed", "Truncated")
}
# The category member never needs cutting or checking: its values are the enum's.
_CATEGORY_FIELDS = {category: f'"platform/Category":{_quote(value)}' for category, value in _CATEGORY_VALUES.items()}


def _product_fields_json(finding: Finding, constant: str, truncated: list[str]) -> str:
    """ProductFields members, as _product_fields() builds them; scanner and scope come pre-encoded."""
    keys = _FIELD_KEYS
    # A Finding's fingerprint is 64 hex digits (checked when it is made): nothing to escape or cut.
    pairs = [
        (keys["RuleId"], finding.rule_id),
        (keys["Location"], finding.location),
    ]
    if finding.confidence:
        pairs.append((keys["Confidence"], finding.confidence))
    if finding.cves:
        pairs.append((keys["CVEs"], ",".join(finding.cves)))
    if finding.cwes:
        pairs.append((keys["CWEs"], ",".join(finding.cwes)))
    if finding.suppressed:
        pairs.append((keys["Suppressed"], "true"))
    if truncated:
        pairs.append((keys["Truncated"], ",".join(truncated)))
    members = [constant] if constant else []
    members.append(f'"platform/Fingerprint":"{finding.fingerprint}"')
    values = [key + _quote(_cut(value, PRODUCT_FIELD_VALUE_LIMIT)) for key, value in pairs if value.strip()]
    # Key order as _product_fields(): Fingerprint, RuleId, Category, Location, then the optional ones.
    if values and pairs[0][1].strip():
        members += (values[0], _CATEGORY_FIELDS[finding.category], *values[1:])
    else:
        members += (_CATEGORY_FIELDS[finding.category], *values)
    return ",".join(members)


def _resource_json(finding: Finding, target: Target, place: str) -> str:
    file, package, image, resource = finding.file, finding.package, finding.image, finding.resource
    if resource and finding.category is Category.MISCONFIGURATION:
        resource_type, resource_id = "Other", resource
    elif image:
        resource_type, resource_id = "Container", image
    elif file:
        resource_type, resource_id = "Other", file
    elif package:
        resource_type, resource_id = "Other", f"pkg:{package}@{finding.version or 'unknown'}"
    else:
        resource_type, resource_id = "Other", resource or target.scope
    other = _other_json(finding)
    head = f'{{"Type":{_quote(resource_type)},"Id":{_quote(_cut(resource_id, ID_LIMIT))}{place}'
    if other:
        return head + ',"Details":{"Other":{' + ",".join(other) + "}}}"
    return head + "}"


def _other_json(finding: Finding) -> list[str]:
    """Details.Other members as _resource() builds them: each only when set, in this order."""
    file, package, image, resource = finding.file, finding.package, finding.image, finding.resource
    limit = DETAILS_OTHER_VALUE_LIMIT
    other = []
    if file:
        other.append('"file":' + _quote(file[:limit]))
    if finding.start_line is not None:
        other.append('"lines":' + _quote(_lines(finding) or ""))
    if package:
        other.append('"package":' + _quote(package[:limit]))
    if finding.version:
        other.append('"installedVersion":' + _quote(finding.version[:limit]))
    if finding.fixed_version:
        other.append('"fixedVersion":' + _quote(finding.fixed_version[:limit]))
    if image:
        other.append('"image":' + _quote(image[:limit]))
    if finding.layer:
        other.append('"layer":' + _quote(finding.layer[:limit]))
    if resource:
        other.append('"resource":' + _quote(resource[:limit]))
    return other


def write_findings(findings: Iterable[Finding], target: Target, now: str, stream: IO[bytes]) -> list[int]:
    """The same array as write_json_array(records(...)) in UTF-8; returns each record's size in bytes.

    Each record is encoded once: the bytes written are the bytes measured for batching.
    """
    sizes: list[int] = []
    separator = b"\n"
    frames: dict[str, _Frame] = {}  # per scanner: cheaper than hashing the target for every record
    stream.write(b"[")
    for finding in findings:
        frame = frames.get(finding.scanner)
        if frame is None:
            frame = frames[finding.scanner] = _frame(target, finding.scanner, now, now, "ACTIVE")
        # Lone surrogates (legal in JSON escapes, not in UTF-8) become "?", as the text files do.
        data = _encode(finding, target, frame).encode("utf-8", "replace")
        stream.write(separator + data)
        separator = b",\n"
        sizes.append(len(data))
    stream.write(b"\n]\n" if sizes else b"]\n")
    return sizes
