"""Lambda entry point: a CodePipeline job, an S3 event, or a direct invocation → process → results.

Environment:
  ENVIRONMENT      environment name whose gate applies (e.g. prod)
  GATE_POLICY      JSON {"block_at": "HIGH", "coverage_gaps_block": true}, or such objects keyed by environment
  SCOPE            scan scope for Security Hub, e.g. example-org/repo/main (default: lambda/ENVIRONMENT)
  IMPORT_FINDINGS  "true" (default) to send findings to Security Hub
  STRICT           "true" (default): an unreadable report fails the job
  OUTPUT_BUCKET    S3 bucket for outputs of S3/direct invocations (optional; prefix OUTPUT_PREFIX)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from findings_processor.collector import paused

if TYPE_CHECKING:
    import zipfile

    from findings_processor.gate import GateException
    from findings_processor.writers.asff import Target

# The processing modules, zipfile, tempfile and urllib are imported by the functions that use them:
# a cold start then pays only for what its event needs, and importing the handler stays cheap.

LOG = logging.getLogger("findings_processor")
LOG.setLevel(logging.INFO)

MAX_ARTIFACT_BYTES = 512 * 1024 * 1024
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 2000
EXCEPTIONS_FILE = "gate-exceptions.toml"
# CloudWatch metrics of every gate decision, per environment (the environments' dashboards graph them).
GATE_METRICS_NAMESPACE = "Platform/Gate"
_SKIPPED_SUFFIXES = {".md", ".rst", ".txt", ".xml", ".html", ".toml", ".zip"}


class JobInputError(ValueError):
    """The invocation itself is unusable (bad artifact, bad configuration)."""


@cache
def _client(service: str) -> Any:
    # Created once per cold start and only when first needed: boto3 is imported lazily.
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415

    return boto3.client(service)


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    with paused():  # for the whole invocation: see collector.paused
        return _dispatch(event, context)


def _dispatch(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    if "CodePipeline.job" in event:
        return _codepipeline_job(event["CodePipeline.job"], context)
    if "Records" in event:
        from urllib.parse import unquote_plus  # noqa: PLC0415

        objects = [
            (record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))
            for record in event["Records"]
            if "s3" in record
        ]
        return _run_objects(objects, dict(event), context)
    if "bucket" in event and "keys" in event:
        return _run_objects([(event["bucket"], key) for key in event["keys"]], dict(event), context)
    raise JobInputError("expected a CodePipeline job, an S3 event, or {'bucket': ..., 'keys': [...]}")


def _settings(overrides: Mapping[str, Any], context: Any) -> tuple[str, Target, Any, bool, bool]:
    from findings_processor.gate import policy_from_json  # noqa: PLC0415
    from findings_processor.writers.asff import Target, validate_scope  # noqa: PLC0415

    env = str(overrides.get("env") or os.environ.get("ENVIRONMENT", ""))
    if not env:
        raise JobInputError("ENVIRONMENT is not set and the invocation names no 'env'")
    policy_json = os.environ.get("GATE_POLICY")
    if not policy_json:
        raise JobInputError("GATE_POLICY is not set")
    policy = policy_from_json(policy_json, env)
    scope = validate_scope(str(overrides.get("scope") or os.environ.get("SCOPE") or f"lambda/{env}"))
    account = str(getattr(context, "invoked_function_arn", "::::000000000000").split(":")[4])
    region = os.environ.get("AWS_REGION", "eu-central-1")
    do_import = os.environ.get("IMPORT_FINDINGS", "true").lower() == "true"
    strict = os.environ.get("STRICT", "true").lower() == "true"
    return env, Target(account_id=account, region=region, scope=scope), policy, do_import, strict


def _codepipeline_job(job: Mapping[str, Any], context: Any) -> dict[str, Any]:
    job_id = job["id"]
    pipeline = _client("codepipeline")
    try:
        data = job.get("data", {})
        parameters = _user_parameters(data)
        artifacts = data.get("inputArtifacts") or []
        if not artifacts:
            raise JobInputError("the action has no input artifact")
        location = artifacts[0]["location"]["s3Location"]
        archive = _download(location["bucketName"], location["objectKey"])
        outcome = _run(_artifact_members(archive), parameters, context, _artifact_exceptions(archive))
        outputs = data.get("outputArtifacts") or []
        if outputs:
            key_id = (data.get("encryptionKey") or {}).get("id")
            destination = outputs[0]["location"]["s3Location"]
            _upload_zip(destination["bucketName"], destination["objectKey"], outcome.pop("files"), key_id)
        if outcome["status"] == "passed":
            pipeline.put_job_success_result(
                jobId=job_id, executionDetails={"summary": outcome["short"][:2048], "percentComplete": 100}
            )
        else:
            pipeline.put_job_failure_result(
                jobId=job_id, failureDetails={"type": "JobFailed", "message": outcome["short"][:5000]}
            )
        outcome.pop("files", None)
        return outcome
    except Exception as error:  # every failure must reach CodePipeline as a job result
        message = f"findings processor could not run: {type(error).__name__}: {error}"
        LOG.error("%s", message)
        # Always answer the job: an unanswered job only times out, much later and with no reason.
        pipeline.put_job_failure_result(jobId=job_id, failureDetails={"type": "JobFailed", "message": message[:5000]})
        return {"status": "error", "short": message}


def _user_parameters(data: Mapping[str, Any]) -> dict[str, Any]:
    raw = data.get("actionConfiguration", {}).get("configuration", {}).get("UserParameters")
    if not raw:
        return {}
    try:
        parameters = json.loads(raw)
    except json.JSONDecodeError as error:
        raise JobInputError(f"UserParameters is not JSON: {error}") from None
    if not isinstance(parameters, dict):
        raise JobInputError('UserParameters must be a JSON object such as {"env": "prod"}')
    return parameters


def _download(bucket: str, key: str) -> bytes:
    response = _client("s3").get_object(Bucket=bucket, Key=key)
    if int(response.get("ContentLength", 0)) > MAX_ARTIFACT_BYTES:
        raise JobInputError(f"s3://{bucket}/{key} is larger than {MAX_ARTIFACT_BYTES} bytes")
    body: bytes = response["Body"].read()
    return body


def _artifact_members(archive: bytes) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Report files inside a pipeline artifact (a zip), read one at a time and bounded in size."""
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415
    from pathlib import PurePosixPath  # noqa: PLC0415

    bundle = zipfile.ZipFile(io.BytesIO(archive))
    members = [info for info in bundle.infolist() if not info.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise JobInputError(f"the artifact holds {len(members)} files; at most {MAX_MEMBERS} are read")
    for info in sorted(members, key=lambda member: member.filename):
        path = PurePosixPath(info.filename)
        if path.name == EXCEPTIONS_FILE or path.suffix.lower() in _SKIPPED_SUFFIXES:
            continue
        if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
            continue
        yield info.filename, _member_reader(bundle, info)


def _member_reader(bundle: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        if info.file_size > MAX_MEMBER_BYTES:
            raise OSError(f"{info.filename} is larger than {MAX_MEMBER_BYTES} bytes uncompressed")
        with bundle.open(info) as stream:
            return stream.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES]

    return read


def _artifact_exceptions(archive: bytes) -> list[GateException]:
    """The exceptions file travels with the commit: config/gate-exceptions.toml inside the artifact."""
    import io  # noqa: PLC0415
    import tomllib  # noqa: PLC0415
    import zipfile  # noqa: PLC0415
    from pathlib import PurePosixPath  # noqa: PLC0415

    from findings_processor.gate import GateConfigError, parse_exceptions  # noqa: PLC0415

    bundle = zipfile.ZipFile(io.BytesIO(archive))
    for info in bundle.infolist():
        if PurePosixPath(info.filename).name == EXCEPTIONS_FILE:
            with bundle.open(info) as stream:
                try:
                    data = tomllib.loads(stream.read(1024 * 1024).decode("utf-8"))
                except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                    raise GateConfigError(f"{info.filename} cannot be read: {error}") from None
            return parse_exceptions(data, info.filename)
    return []


def _run_objects(objects: list[tuple[str, str]], overrides: dict[str, Any], context: Any) -> dict[str, Any]:
    def reader(bucket: str, key: str) -> Callable[[], bytes]:
        return lambda: _download(bucket, key)

    outcome = _run(iter([(f"s3://{b}/{k}", reader(b, k)) for b, k in objects]), overrides, context)
    files = outcome.pop("files")
    bucket = os.environ.get("OUTPUT_BUCKET")
    if bucket:
        prefix = os.environ.get("OUTPUT_PREFIX", "findings/")
        for name, content in files.items():
            _client("s3").put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=content)
    return outcome


def _run(
    sources: Iterator[tuple[str, Callable[[], bytes]]],
    overrides: Mapping[str, Any],
    context: Any,
    exceptions: list[GateException] | None = None,
) -> dict[str, Any]:
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from findings_processor.gate import evaluate  # noqa: PLC0415
    from findings_processor.outputs import Outputs, write_outputs  # noqa: PLC0415
    from findings_processor.pipeline import process  # noqa: PLC0415
    from findings_processor.writers.summary import short  # noqa: PLC0415

    env, target, policy, do_import, strict = _settings(overrides, context)
    result = process(sources)
    gate = evaluate(
        result.findings, env=env, policy=policy, exceptions=exceptions or (), gaps=result.gaps, errors=result.errors
    )
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir)
        outputs = Outputs(
            asff=folder / "findings.asff.json",
            sarif=folder / "findings.sarif",
            junit=folder / "findings.junit.xml",
            summary=folder / "summary.md",
        )
        write_outputs(result, gate, target, outputs)
        files = {path.name: path.read_bytes() for path in folder.iterdir()}
    status = "passed" if gate.passed else "blocked"
    problems = []
    if do_import:
        from findings_processor.securityhub import SecurityHubImporter  # noqa: PLC0415

        report = SecurityHubImporter(_client("securityhub"), target).sync(result.findings, result.scanners)
        if not report.ok:
            status = "error"
            problems.append(f"{len(report.failed)} finding(s) not accepted by Security Hub")
    if result.errors and strict:
        status = "error"
        problems.append("unreadable report(s): " + "; ".join(error.message for error in result.errors[:5]))
    digest = "; ".join([*problems, short(gate, 4000)])
    LOG.info("%s", digest)
    _emit_gate_metrics(env, status)
    return {
        "status": status,
        "short": digest,
        "findings": len(result.findings),
        "blocking": len(gate.blocking),
        "coverageGaps": len(gate.gaps),
        "unreadableReports": len(result.errors),
        "files": files,
    }


def _upload_zip(bucket: str, key: str, files: Mapping[str, bytes], kms_key_id: str | None) -> None:
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in sorted(files.items()):
            bundle.writestr(name, content)
    extra: dict[str, str] = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    _client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue(), **extra)


def _emit_gate_metrics(env: str, status: str) -> None:
    """One CloudWatch embedded-metric-format line on stdout: Lambda ships it to the function's log group,
    where CloudWatch turns it into metrics with no API call, permission or network path of our own."""
    import time  # noqa: PLC0415

    metrics = {"GateRuns": 1, "GateBlocked": int(status == "blocked"), "GateErrors": int(status == "error")}
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": GATE_METRICS_NAMESPACE,
                    "Dimensions": [["Environment"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                }
            ],
        },
        "Environment": env,
        **metrics,
    }
    # EMF is read from stdout, not from the logging module's formatted records.
    print(json.dumps(record, separators=(",", ":")), flush=True)
