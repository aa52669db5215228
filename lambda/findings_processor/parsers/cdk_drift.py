"""`cdk drift` text output, wrapped in JSON by the nightly drift job (`scripts/cdk_drift_report.py`).

The CDK CLI has no JSON output for drift, so the job stores its text report in one JSON document:

    {"cdk_drift": {"format_version": 1, "environment": "dev", "exit_code": 0, "output": "<cdk drift text>"}}

`output` is what `cdk drift --ci --no-color` prints (aws-cdk toolkit-lib `DriftFormatter`): per stack a
`Stack NAME` line, then sections `Modified Resources` and `Deleted Resources` (with -v also
`Resources In Sync` and `Unchecked Resources`), one line per resource,

    [~] AWS::EC2::SecurityGroup Service/LoadBalancer/SecurityGroup LoadBalancerSecurityGroupA1B2C3D4
     └─ [~] /SecurityGroupIngress/0/CidrIp
         ├─ [-] 10.0.0.0/16
         └─ [+] 0.0.0.0/0

and a closing `Number of resources with drift: N (M unchecked)`. One finding per drifted property of a
MODIFIED resource (a MODIFIED resource without listed properties is one finding) and one per DELETED
resource. The id is stack + logical id + drift status + property path: never the values, so a value
that keeps changing stays one finding. The values themselves are not copied into findings either:
drifted properties can hold secrets (a function's environment), and the job log keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import as_dict, as_int, as_str
from findings_processor.parsers._common import build

SCANNER = "cdk-drift"
FORMAT_VERSION = 1
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_STACK = re.compile(r"^Stack (?P<stack>\S.*?)\s*$")
_RESOURCE = re.compile(r"^\[(?P<mark>[~+\- ])\] (?P<type>\S+) (?P<rest>.*\S)\s*$")
_PROPERTY = re.compile(r"^ [└├]─ \[(?P<mark>[~+\-])\] (?P<path>\S.*?)\s*$")
_NO_RESULTS = re.compile(r"^(?P<stack>\S.*?): No drift results available\s*$")
_UNCHECKED = re.compile(r"Number of resources with drift: \d+ \((?P<count>\d+) unchecked\)")
_SECTIONS = {
    "Modified Resources": "MODIFIED",
    "Deleted Resources": "DELETED",
    "Resources In Sync": "IN_SYNC",
    "Unchecked Resources": "UNCHECKED",
}
_CHANGES = {"~": "changed", "+": "added", "-": "removed"}
# A manual change to who may reach or decrypt what is a security problem, not only drift.
_ACCESS_CONTROL_TYPES = re.compile(
    r"^AWS::(IAM|KMS|EC2::SecurityGroup|EC2::NetworkAcl|WAFv2|SecretsManager|S3::BucketPolicy|"
    r"Lambda::Permission|SNS::TopicPolicy|SQS::QueuePolicy|Logs::ResourcePolicy)"
)


@dataclass(slots=True)
class _Drift:
    stack: str
    status: str
    resource_type: str
    logical_id: str
    construct_path: str | None
    properties: list[tuple[str, str]] = field(default_factory=list)


def matches(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("cdk_drift"), dict) and "output" in doc["cdk_drift"]


def parse(doc: Mapping[str, Any], ctx: ReportContext) -> Iterator[Finding]:
    report = as_dict(doc.get("cdk_drift"))
    version = as_int(report.get("format_version"))
    if version != FORMAT_VERSION:
        raise ValueError(f"cdk drift report format_version {version!r}; this parser reads {FORMAT_VERSION}")
    output = report.get("output")
    if not isinstance(output, str):
        raise TypeError("cdk drift report output must be text")
    environment = as_str(report.get("environment"))
    exit_code = as_int(report.get("exit_code"))
    drifts, stacks = _read(output, ctx)
    if exit_code and not stacks:
        # The CLI stopped before checking any stack (credentials, synthesis): nothing was checked.
        ctx.gap(SCANNER, environment or "(environment)", f"cdk drift failed with exit status {exit_code}")
    elif exit_code:
        ctx.notes.append(f"cdk drift exited {exit_code} after checking {len(stacks)} stack(s)")
    for drift in drifts:
        yield from _findings(drift, environment, ctx)


def _read(output: str, ctx: ReportContext) -> tuple[list[_Drift], list[str]]:
    drifts: list[_Drift] = []
    stacks: list[str] = []
    stack: str | None = None
    section: str | None = None
    current: _Drift | None = None
    for raw in output.splitlines():
        line = _ANSI.sub("", raw).rstrip()
        if started := _STACK.match(line):
            stack, section, current = started["stack"], None, None
            stacks.append(stack)
            continue
        if line.strip() in _SECTIONS:
            section, current = _SECTIONS[line.strip()], None
            continue
        if missing := _NO_RESULTS.match(line):
            ctx.gap(SCANNER, missing["stack"], "CloudFormation returned no drift results for this stack")
            continue
        if unchecked := _UNCHECKED.search(line):
            ctx.notes.append(
                f"{unchecked['count']} resource(s) not checked for drift (type not supported or no access)"
            )
            continue
        if stack is None or section not in ("MODIFIED", "DELETED"):
            continue
        if resource := _RESOURCE.match(line):
            current = _resource(stack, section, resource["type"], resource["rest"])
            drifts.append(current)
            continue
        if current is not None and (prop := _PROPERTY.match(line)):
            current.properties.append((prop["path"], _CHANGES[prop["mark"]]))
    return drifts, stacks


def _resource(stack: str, status: str, resource_type: str, rest: str) -> _Drift:
    # The line ends with the logical id; a construct path (which may contain spaces) comes before it.
    path, _, logical_id = rest.rpartition(" ")
    return _Drift(stack, status, resource_type, logical_id, path.strip() or None)


def _findings(drift: _Drift, environment: str | None, ctx: ReportContext) -> Iterator[Finding]:
    where = f"{drift.stack}/{drift.logical_id}"
    shown = f"{drift.construct_path} ({drift.logical_id})" if drift.construct_path else drift.logical_id
    in_env = f" in environment {environment}" if environment else ""
    sensitive = bool(_ACCESS_CONTROL_TYPES.match(drift.resource_type))
    if drift.status == "DELETED":
        yield _finding(
            drift,
            ctx,
            rule="CDK_DRIFT_DELETED",
            property_path="",
            title=f"Drift: {drift.resource_type} {shown} was deleted outside CloudFormation",
            description=(
                f"{drift.resource_type} {shown} of stack {drift.stack}{in_env} no longer exists, but the stack "
                "still declares it. Redeploy the stack to recreate it, or remove it from the code."
            ),
            severity=Severity.HIGH,
            resource=where,
        )
        return
    for property_path, change in drift.properties or [("", "changed")]:
        what = f"property {property_path} was {change}" if property_path else "was modified"
        yield _finding(
            drift,
            ctx,
            rule="CDK_DRIFT_MODIFIED",
            property_path=property_path,
            title=f"Drift: {drift.resource_type} {shown}: {what} outside CloudFormation",
            description=(
                f"{drift.resource_type} {shown} of stack {drift.stack}{in_env}: {what} outside CloudFormation. "
                "Expected and actual values are in the drift job's log (not copied here: they may be secret). "
                "Redeploy to restore the declared value, or change the code to declare the new one."
            ),
            severity=Severity.HIGH if sensitive else Severity.MEDIUM,
            resource=f"{where}{property_path}" if property_path else where,
        )


def _finding(
    drift: _Drift,
    ctx: ReportContext,
    *,
    rule: str,
    property_path: str,
    title: str,
    description: str,
    severity: Severity,
    resource: str,
) -> Finding:
    return build(
        SCANNER,
        rule,
        title,
        as_str(description),
        severity,
        drift.status,
        Category.MISCONFIGURATION,
        (drift.stack, drift.logical_id, drift.status, property_path),
        ctx.source_report,
        resource=resource,
    )
