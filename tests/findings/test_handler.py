"""The Lambda handler as a CodePipeline action: artifact from S3 (moto), outputs written, job result sent."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from findings_processor import handler

from .conftest import REGION


class RecordingPipeline:
    def __init__(self) -> None:
        self.results: list[tuple[str, dict[str, Any]]] = []

    def put_job_success_result(self, **kwargs: Any) -> None:
        self.results.append(("success", kwargs))

    def put_job_failure_result(self, **kwargs: Any) -> None:
        self.results.append(("failure", kwargs))


@pytest.fixture
def pipeline_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, RecordingPipeline]:
    s3 = boto3.client("s3", region_name=REGION)
    if "artifacts" not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    recorder = RecordingPipeline()
    clients = {"s3": s3, "codepipeline": recorder}
    monkeypatch.setattr(handler, "_client", lambda service: clients[service])
    monkeypatch.setenv("ENVIRONMENT", "qa")
    monkeypatch.setenv("GATE_POLICY", json.dumps({"qa": {"block_at": "HIGH", "coverage_gaps_block": False}}))
    monkeypatch.setenv("IMPORT_FINDINGS", "false")
    return s3, recorder


def _artifact(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


def _event(with_output: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "inputArtifacts": [{"location": {"s3Location": {"bucketName": "artifacts", "objectKey": "in.zip"}}}],
        "actionConfiguration": {"configuration": {"UserParameters": json.dumps({"scope": "org/repo/qa"})}},
    }
    if with_output:
        data["outputArtifacts"] = [{"location": {"s3Location": {"bucketName": "artifacts", "objectKey": "out.zip"}}}]
    return {"CodePipeline.job": {"id": "job-1", "data": data}}


CONTEXT = SimpleNamespace(invoked_function_arn="arn:aws:lambda:eu-central-1:123456789012:function:findings")


def test_blocking_scan_fails_the_job_with_the_summary(pipeline_env: Any, corpus: Path) -> None:
    s3, recorder = pipeline_env
    artifact = _artifact({"reports/bandit.json": (corpus / "bandit/bandit-report.json").read_bytes()})
    s3.put_object(Bucket="artifacts", Key="in.zip", Body=artifact)
    outcome = handler.handler(_event(with_output=True), CONTEXT)
    assert outcome["status"] == "blocked"
    ((kind, call),) = recorder.results
    assert kind == "failure"
    assert call["jobId"] == "job-1"
    assert call["failureDetails"]["message"].startswith("BLOCKED for qa")
    outputs = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket="artifacts", Key="out.zip")["Body"].read()))
    assert set(outputs.namelist()) == {"findings.asff.json", "findings.sarif", "findings.junit.xml", "summary.md"}


def test_passing_scan_succeeds_the_job(pipeline_env: Any, corpus: Path) -> None:
    s3, recorder = pipeline_env
    report = (corpus / "bandit/one_vuln.json").read_bytes()  # one LOW finding: passes at HIGH
    s3.put_object(Bucket="artifacts", Key="in.zip", Body=_artifact({"bandit.json": report}))
    outcome = handler.handler(_event(with_output=False), CONTEXT)
    assert outcome["status"] == "passed"
    assert recorder.results[0][0] == "success"
    assert recorder.results[0][1]["executionDetails"]["percentComplete"] == 100


def test_a_broken_artifact_is_answered_not_left_to_time_out(pipeline_env: Any) -> None:
    s3, recorder = pipeline_env
    s3.put_object(Bucket="artifacts", Key="in.zip", Body=b"not a zip")
    outcome = handler.handler(_event(with_output=False), CONTEXT)
    assert outcome["status"] == "error"
    assert recorder.results[0][0] == "failure"
    assert "BadZipFile" in recorder.results[0][1]["failureDetails"]["message"]


@pytest.mark.parametrize("case", [("bandit-report.json", "blocked", 1), ("one_vuln.json", "passed", 0)])
def test_each_gate_decision_is_one_embedded_metric_line_per_environment(
    pipeline_env: Any, corpus: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, str, int]
) -> None:
    report, status, blocked = case
    s3, _ = pipeline_env
    s3.put_object(
        Bucket="artifacts", Key="in.zip", Body=_artifact({"bandit.json": (corpus / "bandit" / report).read_bytes()})
    )
    assert handler.handler(_event(with_output=False), CONTEXT)["status"] == status
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    record = json.loads(line)
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == handler.GATE_METRICS_NAMESPACE == "Platform/Gate"
    assert directive["Dimensions"] == [["Environment"]]
    assert {m["Name"] for m in directive["Metrics"]} == {"GateRuns", "GateBlocked", "GateErrors"}
    assert (record["Environment"], record["GateRuns"], record["GateBlocked"], record["GateErrors"]) == (
        "qa",
        1,
        blocked,
        0,
    )
