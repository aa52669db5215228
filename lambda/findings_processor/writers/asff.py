"""Findings → AWS Security Finding Format, within every limit BatchImportFindings enforces."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from findings_processor.memo import Memo, remember
from findings_processor.model import Category, Finding, Severity
from findings_processor.writers.json_text import quote, quote_text

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
# scanner, timestamps) is encoded once per frame; what is the same for every finding of a
# classification or rule (severity and types, the "See ..." remediation) once per distinct value;
# a value the record repeats (the rule id, the file, the URL) is quoted once per record and reused
# where it appears uncut. The rest goes through the string encoder json.dumps uses (json_text).


@functools.lru_cache(maxsize=64)
def _frame(target: Target, scanner: str, created_at: str, updated_at: str, record_state: str) -> _Frame:
    product_arn, partition = _target_constants(target)
    account = f',"AwsAccountId":{quote(target.account_id)},"Types":'
    times = f',"CreatedAt":{quote(created_at)},"UpdatedAt":{quote(updated_at)},"Severity":'

    def classified(key: tuple[Category, Severity, str, str | None]) -> str:
        """From AwsAccountId to the Title key: Types, timestamps, Severity, FindingProviderFields."""
        category, severity, original, confidence = key
        types = _json_list([_TYPES[category]])
        label = f'{{"Label":{quote(_SEVERITY_NAMES[severity])},"Original":{quote(original[:ORIGINAL_SEVERITY_LIMIT])}}}'
        score = _CONFIDENCE.get(confidence.upper()) if confidence else None
        rated = "}" if score is None else f',"Confidence":{score}}}'
        provider_fields = f'"FindingProviderFields":{{"Severity":{label},"Types":{types}{rated}'
        return f'{account}{types}{times}{label},{provider_fields},"Title":'

    fields = (("platform/Scanner", scanner), ("platform/Scope", target.scope))
    return _Frame(
        head='{"SchemaVersion":' + quote(SCHEMA_VERSION) + ',"Id":' + quote(f"{target.scope}/{scanner}/")[:-1],
        product=f'","ProductArn":{quote(product_arn)},"ProductName":{quote(PRODUCT_NAME)},"GeneratorId":',
        generator=quote(f"{scanner}/")[:-1],
        generator_room=ID_LIMIT - len(scanner) - 1,
        classified=Memo(classified),
        place=f',"Partition":{quote(partition)},"Region":{quote(target.region)}',
        state=f'],"RecordState":{quote(record_state)}',
        fields=",".join(
            f"{quote(key)}:{quote(_cut(value, PRODUCT_FIELD_VALUE_LIMIT))}" for key, value in fields if value.strip()
        ),
    )


def _json_list(items: list[str]) -> str:
    return "[" + ",".join(quote(item) for item in items) + "]"


class _Frame(NamedTuple):  # a NamedTuple: made in a fraction of a dataclass's import-time cost
    head: str  # up to the Id's fingerprint
    product: str  # from the end of the Id to the GeneratorId value
    generator: str  # the GeneratorId value's opening quote and "<scanner>/"
    generator_room: int  # the longest rule id whose GeneratorId is not cut
    classified: Memo[tuple[Category, Severity, str, str | None], str]
    place: str  # a resource's Partition and Region
    state: str  # from the end of Resources to the RecordState value
    fields: str  # the Scanner and Scope product fields


_SECRET_REMEDIATION = quote("Revoke and rotate this credential, then remove it from the code and its history.")


def _remediation_json(text: str, url: str | None, quoted_url: str) -> str:
    """Remediation with its (already quoted) text; the Url only for web links."""
    if url and url.startswith(("https://", "http://")):
        return f',"Remediation":{{"Recommendation":{{"Text":{text},"Url":{quoted_url}}}}}'
    return f',"Remediation":{{"Recommendation":{{"Text":{text}}}}}'


def _see_also(key: tuple[str, str]) -> str:
    """The Remediation of a finding known only by its rule's URL: the same for every finding of the rule."""
    url, rule_id = key
    text = quote(_cut(f"See {url} for how to fix {rule_id}.", REMEDIATION_LIMIT))
    return _remediation_json(text, url, quote(url[:2048]))


_SEE_ALSO: Memo[tuple[str, str], str] = Memo(_see_also)


def _optional_member(key: str, value: str) -> str:
    """`,"platform/<key>":value` as _product_fields() keeps it: only when not blank, cut to the limit."""
    if not value.strip():
        return ""
    return f',"platform/{key}":{quote(_cut(value, PRODUCT_FIELD_VALUE_LIMIT))}'


_CONFIDENCE_MEMBERS: Memo[str, str] = Memo(lambda confidence: _optional_member("Confidence", confidence))
_CWES_MEMBERS: Memo[tuple[str, ...], str] = Memo(lambda cwes: _optional_member("CWEs", ",".join(cwes)))


def encode(
    finding: Finding,
    target: Target,
    *,
    created_at: str,
    updated_at: str,
    record_state: str = "ACTIVE",
) -> str:
    """The ASFF record of `finding` as compact JSON, identical to json.dumps of to_asff()."""
    return _encode(finding, target, _frame(target, finding.scanner, created_at, updated_at, record_state), {})


# Per rule id: the title and description last encoded for it, their encoding and what was cut.
_Texts = dict[str, tuple[str, str, str, str]]


def _encode(finding: Finding, target: Target, frame: _Frame, texts: _Texts) -> str:
    rule_id = finding.rule_id
    quoted_rule = quote(rule_id)
    if len(rule_id) <= frame.generator_room:
        generator = frame.generator + quoted_rule[1:]
    else:
        generator = quote(f"{finding.scanner}/{rule_id}"[:ID_LIMIT])
    title, description = finding.title, finding.description
    # Findings of one rule often share their texts (the same strings, where a parser made them
    # once per rule message): those are encoded once, recognised by identity, which costs no
    # comparison of their characters.
    known = texts.get(rule_id)
    if known is None or known[0] is not title or known[1] is not description:
        known = remember(texts, rule_id, (title, description, *_described(title, description)))
    described, truncated = known[2], known[3]
    file = finding.file
    # Details.Other and Vulnerabilities cut the file at 1024 characters; the Id and Location reuse it when shorter.
    quoted_file = quote(file[:DETAILS_OTHER_VALUE_LIMIT]) if file else ""
    classified = frame.classified[(finding.category, finding.severity, finding.severity_original, finding.confidence)]
    return (
        f"{frame.head}{finding.fingerprint}{frame.product}{generator}{classified}{described}"
        f',"Resources":[{_resource_json(finding, target, frame.place, quoted_file)}'
        f"{frame.state}{_extras_json(finding, quoted_rule, quoted_file)}"
        f',"ProductFields":{{{_product_fields_json(finding, frame.fields, quoted_rule, quoted_file, truncated)}}}}}'
    )


def _described(title: str, description: str) -> tuple[str, str]:
    """(The Title value, "Description" and its value, encoded; which of them were cut, for ProductFields)."""
    truncated = ""
    if len(title) > TITLE_LIMIT:
        title = cut(title, TITLE_LIMIT)[0]
        truncated = "Title"
    if len(description) > DESCRIPTION_LIMIT:
        description = cut(description, DESCRIPTION_LIMIT)[0]
        truncated = f"{truncated},Description" if truncated else "Description"
    return f'{quote_text(title)},"Description":{quote_text(description)}', truncated


def _extras_json(finding: Finding, quoted_rule: str, quoted_file: str) -> str:
    """Remediation, Vulnerabilities and Workflow, as to_asff() adds them."""
    category, package, url = finding.category, finding.package, finding.reference_url
    fixed_version = finding.fixed_version
    # Quoted once for the Remediation and Vulnerabilities of a package or secret; the "See ..."
    # remediation of the other findings is memoized whole, URL included.
    quoted_url = quote(url[:2048]) if url and (package or category is Category.SECRET) else ""
    if category is Category.SECRET:
        extras = _remediation_json(_SECRET_REMEDIATION, url, quoted_url)
    elif fixed_version and package:
        text = quote(_cut(f"Upgrade {package} to {fixed_version}.", REMEDIATION_LIMIT))
        extras = _remediation_json(text, url, quoted_url)
    elif url:
        extras = _SEE_ALSO[(url, finding.rule_id)]
    else:
        extras = ""
    if category is Category.VULNERABILITY and package:
        extras += _vulnerabilities_json(finding, quoted_rule, quoted_file, quoted_url)
    if finding.suppressed:
        extras += ',"Workflow":{"Status":"SUPPRESSED"}'
    return extras


def _vulnerabilities_json(finding: Finding, quoted_rule: str, quoted_file: str, quoted_url: str) -> str:
    rule_id, version, fixed_version = finding.rule_id, finding.version, finding.fixed_version
    vulnerability_id = quoted_rule if len(rule_id) <= ID_LIMIT else quote(rule_id[:ID_LIMIT])
    text = (
        f',"Vulnerabilities":[{{"Id":{vulnerability_id},"VulnerablePackages":[{{"Name":{quote(finding.package or "")}'
    )
    if version:
        text += f',"Version":{quote(version[:1024])}'
    if fixed_version:
        text += f',"FixedInVersion":{quote(fixed_version[:1024])}'
    if quoted_file:
        text += f',"FilePath":{quoted_file}'
    text += '}],"FixAvailable":"YES"' if fixed_version else '}],"FixAvailable":"NO"'
    if quoted_url:
        text += f',"ReferenceUrls":[{quoted_url}]'
    return text + "}]"


# The category member never needs cutting or checking: its values are the enum's.
_CATEGORY_MEMBERS = {category: f',"platform/Category":{quote(value)}' for category, value in _CATEGORY_VALUES.items()}


def _product_fields_json(finding: Finding, constant: str, quoted_rule: str, quoted_file: str, truncated: str) -> str:
    """ProductFields members, as _product_fields() builds them; scanner and scope come pre-encoded.

    Key order as _product_fields(): Scanner, Scope, Fingerprint, RuleId, Category, Location, then
    the optional ones. A Finding's fingerprint is 64 hex digits and its rule id is never blank
    (both checked when it is made): nothing to escape, nothing to leave out.
    """
    rule_id = finding.rule_id
    rule = (
        quoted_rule if len(rule_id) <= PRODUCT_FIELD_VALUE_LIMIT else quote(cut(rule_id, PRODUCT_FIELD_VALUE_LIMIT)[0])
    )
    members = f'"platform/Fingerprint":"{finding.fingerprint}","platform/RuleId":{rule}'
    if constant:
        members = f"{constant},{members}"
    members += _CATEGORY_MEMBERS[finding.category] + _location_member(finding, quoted_file)
    if finding.confidence:
        members += _CONFIDENCE_MEMBERS[finding.confidence]
    cves = finding.cves
    if cves:
        # A vulnerability's only CVE is usually its rule id, already quoted (and never blank).
        one_rule_cve = len(cves) == 1 and cves[0] == rule_id and len(rule_id) <= PRODUCT_FIELD_VALUE_LIMIT
        members += f',"platform/CVEs":{quoted_rule}' if one_rule_cve else _optional_member("CVEs", ",".join(cves))
    if finding.cwes:
        members += _CWES_MEMBERS[finding.cwes]
    if finding.suppressed:
        members += ',"platform/Suppressed":"true"'
    if truncated:
        members += f',"platform/Truncated":"{truncated}"'
    return members


def _location_member(finding: Finding, quoted_file: str) -> str:
    file, start = finding.file, finding.start_line
    if file and len(file) <= DETAILS_OTHER_VALUE_LIMIT:
        # The location is the file or "file:line": made from the file already quoted (uncut at
        # this length), since a line number needs no escaping; it is far below the cut.
        if not start:
            return f',"platform/Location":{quoted_file}' if file.strip() else ""
        location = f"{file}:{start}"
        if len(location) <= PRODUCT_FIELD_VALUE_LIMIT:
            return f',"platform/Location":{quoted_file[:-1]}{location[len(file) :]}"'
    return _optional_member("Location", finding.location)


def _resource_json(finding: Finding, target: Target, place: str, quoted_file: str) -> str:
    file, package, image, resource = finding.file, finding.package, finding.image, finding.resource
    if resource and finding.category is Category.MISCONFIGURATION:
        head = '{"Type":"Other","Id":' + _quoted_id(resource)
    elif image:
        head = '{"Type":"Container","Id":' + _quoted_id(image)
    elif file:
        head = '{"Type":"Other","Id":' + (quoted_file if len(file) <= ID_LIMIT else _quoted_id(file))
    elif package:
        head = '{"Type":"Other","Id":' + _quoted_id(f"pkg:{package}@{finding.version or 'unknown'}")
    else:
        head = '{"Type":"Other","Id":' + _quoted_id(resource or target.scope)
    other = _other_json(finding, quoted_file)
    if other:
        return f'{head}{place},"Details":{{"Other":{{{other[1:]}}}}}}}'
    return f"{head}{place}}}"


def _quoted_id(resource_id: str) -> str:
    return quote(_cut(resource_id, ID_LIMIT))


def _other_json(finding: Finding, quoted_file: str) -> str:
    """Details.Other members as _resource() builds them, each only when set, in this order, each after a comma."""
    limit = DETAILS_OTHER_VALUE_LIMIT
    other = f',"file":{quoted_file}' if quoted_file else ""
    start = finding.start_line
    if start is not None:
        # _lines(): digits and a hyphen, nothing to escape.
        end = finding.end_line
        other += f',"lines":"{start}-{end}"' if end and end != start else f',"lines":"{start}"'
    if finding.package:
        other += f',"package":{quote(finding.package[:limit])}'
    if finding.version:
        other += f',"installedVersion":{quote(finding.version[:limit])}'
    if finding.fixed_version:
        other += f',"fixedVersion":{quote(finding.fixed_version[:limit])}'
    if finding.image:
        other += f',"image":{quote(finding.image[:limit])}'
    if finding.layer:
        other += f',"layer":{quote(finding.layer[:limit])}'
    if finding.resource:
        other += f',"resource":{quote(finding.resource[:limit])}'
    return other


def write_findings(findings: Iterable[Finding], target: Target, now: str, stream: IO[bytes]) -> list[int]:
    """The same array as write_json_array(records(...)) in UTF-8; returns each record's size in bytes.

    Each record is encoded once; its size in bytes is what the import's batching counts.
    """
    sizes: list[int] = []
    frames: dict[str, _Frame] = {}  # per scanner: cheaper than hashing the target for every record
    texts: _Texts = {}
    records: list[str] = []
    separator = "\n"  # before the first record; ",\n" before each later one
    stream.write(b"[")
    for finding in findings:
        frame = frames.get(finding.scanner)
        if frame is None:
            frame = frames[finding.scanner] = _frame(target, finding.scanner, now, now, "ACTIVE")
        record = _encode(finding, target, frame, texts)
        # An ASCII record's size in UTF-8 is its length; only the others are encoded to be measured.
        # Lone surrogates (legal in JSON escapes, not in UTF-8) become "?", as the text files do.
        sizes.append(len(record) if record.isascii() else len(record.encode("utf-8", "replace")))
        records.append(record)
        if len(records) == _RECORDS_PER_WRITE:
            stream.write(_slice(records, separator))
            records.clear()
            separator = ",\n"
    if records:
        stream.write(_slice(records, separator))
    stream.write(b"\n]\n" if sizes else b"]\n")
    return sizes


# Records are written in slices: one write per record cost more than its encoding on large scans.
_RECORDS_PER_WRITE = 256


def _slice(records: list[str], separator: str) -> bytes:
    # UTF-8 encodes character by character: the joined slice is the records' own bytes, separated.
    return (separator + ",\n".join(records)).encode("utf-8", "replace")
