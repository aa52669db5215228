"""Security Hub import against moto's server on 127.0.0.1, with AWS's limits asserted by our own hooks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from findings_processor.batches import MAX_REQUEST_BYTES, plan_batches
from findings_processor.cli import main
from findings_processor.model import Category, Finding, Severity
from findings_processor.normalize import fingerprint
from findings_processor.securityhub import SecurityHubImporter, make_client
from findings_processor.writers.asff import Target

from .conftest import REGION, REPO_ROOT

ACCOUNT = "123456789012"  # moto's default account


class RecordingClient:
    """The real (moto-backed) client, recording what reached the service and enforcing AWS's limits."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.sent_ids: list[str] = []
        self.calls = 0
        self.throttle_calls: set[int] = set()
        self.fail_once: dict[str, str] = {}  # Id -> ErrorCode, failed the first time it is sent
        self.fail_always: dict[str, str] = {}

    def batch_import_findings(self, *, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        assert len(Findings) <= 100, "BatchImportFindings takes at most 100 findings"
        assert len(json.dumps({"Findings": Findings}).encode()) < MAX_REQUEST_BYTES
        if self.calls in self.throttle_calls:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "BatchImport")
        failing = {f["Id"]: self.fail_once.pop(f["Id"]) for f in Findings if f["Id"] in self.fail_once}
        failing |= {f["Id"]: self.fail_always[f["Id"]] for f in Findings if f["Id"] in self.fail_always}
        accepted = [f for f in Findings if f["Id"] not in failing]
        response = self.client.batch_import_findings(Findings=accepted) if accepted else {"SuccessCount": 0}
        self.sent_ids += [f["Id"] for f in accepted]
        return {
            "SuccessCount": response["SuccessCount"],
            "FailedCount": len(failing),
            "FailedFindings": [{"Id": i, "ErrorCode": c, "ErrorMessage": "injected"} for i, c in failing.items()],
        }

    def get_findings(self, **kwargs: Any) -> dict[str, Any]:
        return dict(self.client.get_findings(**kwargs))


def _findings(count: int, scanner: str = "bandit") -> list[Finding]:
    return [
        Finding(
            scanner=scanner,
            rule_id=f"R{n % 7}",
            title=f"issue {n}",
            description=f"description of issue {n}",
            severity=Severity.MEDIUM,
            severity_original="MEDIUM",
            category=Category.CODE,
            fingerprint=fingerprint(scanner, n),
            file=f"src/module_{n}.py",
            start_line=n + 1,
        )
        for n in range(count)
    ]


def _stored(client: Any, scope: str) -> dict[str, dict[str, Any]]:
    stored: dict[str, dict[str, Any]] = {}
    token = None
    while True:
        page = client.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        stored |= {f["Id"]: f for f in page["Findings"] if f["Id"].startswith(scope + "/")}
        token = page.get("NextToken")
        if not token:
            return stored


@pytest.fixture
def scope(request: pytest.FixtureRequest) -> str:
    return f"test/{request.node.name.replace('_', '-')[:60]}"


def _importer(client: Any, scope: str, clock: dt.datetime, delays: list[float] | None = None) -> SecurityHubImporter:
    return SecurityHubImporter(
        client,
        Target(ACCOUNT, REGION, scope),
        sleep=(delays.append if delays is not None else lambda _: None),
        clock=lambda: clock,
        jitter=lambda: 1.0,
    )


def test_import_reimport_and_archive(moto_endpoint: str, scope: str) -> None:
    client = RecordingClient(make_client(REGION))
    findings = _findings(250)
    moment = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)

    # Given a first scan / When imported / Then every finding is stored once, in ⌈250/100⌉ calls
    first = _importer(client, scope, moment).sync(findings, {"bandit"})
    assert (first.accepted, first.created, first.calls, first.failed) == (250, 250, 3, [])
    stored = _stored(client.client, scope)
    assert len(stored) == 250
    record = next(iter(stored.values()))
    assert record["ProductArn"] == f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    assert record["CreatedAt"] == record["UpdatedAt"]

    # When the same scan is imported again, even with the clock standing still
    again = _importer(client, scope, moment).sync(findings, {"bandit"})
    assert (again.accepted, again.created, again.updated, again.archived) == (250, 0, 250, 0)
    restored = _stored(client.client, scope)
    assert len(restored) == 250  # no duplicates
    for finding_id, before in stored.items():
        after = restored[finding_id]
        assert after["CreatedAt"] == before["CreatedAt"]  # first seen is kept
        assert after["UpdatedAt"] > before["UpdatedAt"]  # strictly later, or Security Hub ignores it
        assert after["RecordState"] == "ACTIVE"

    # When one issue is fixed and the scope is scanned again
    fixed = findings[17]
    later = moment + dt.timedelta(hours=1)
    third = _importer(client, scope, later).sync([f for f in findings if f is not fixed], {"bandit"})
    assert (third.accepted, third.archived) == (250, 1)
    final = _stored(client.client, scope)
    archived = [f for f in final.values() if f["RecordState"] == "ARCHIVED"]
    assert [f["Id"] for f in archived] == [f"{scope}/bandit/{fixed.fingerprint}"]
    assert archived[0]["UpdatedAt"] > restored[archived[0]["Id"]]["UpdatedAt"]

    # And a rerun of that scan archives nothing more and duplicates nothing
    fourth = _importer(client, scope, later).sync([f for f in findings if f is not fixed], {"bandit"})
    assert (fourth.archived, len(_stored(client.client, scope))) == (0, 250)


def test_a_scanner_without_a_readable_report_keeps_its_findings(moto_endpoint: str, scope: str) -> None:
    client = RecordingClient(make_client(REGION))
    moment = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    _importer(client, scope, moment).sync(_findings(5, "bandit") + _findings(5, "semgrep"), {"bandit", "semgrep"})
    # semgrep's report was unreadable this time: only bandit's scope is reconciled.
    report = _importer(client, scope, moment).sync(_findings(5, "bandit"), {"bandit"})
    assert report.archived == 0
    assert all(f["RecordState"] == "ACTIVE" for f in _stored(client.client, scope).values())


def test_throttling_and_partial_failures_lose_nothing_and_send_nothing_twice(moto_endpoint: str, scope: str) -> None:
    client = RecordingClient(make_client(REGION))
    findings = _findings(230)
    ids = [f"{scope}/bandit/{f.fingerprint}" for f in findings]
    client.throttle_calls = {1, 2, 4}
    client.fail_once = {ids[3]: "InternalException", ids[150]: "LimitExceeded", ids[229]: "ServiceUnavailable"}
    delays: list[float] = []
    report = _importer(client, scope, dt.datetime(2030, 1, 1, tzinfo=dt.UTC), delays).sync(findings, {"bandit"})
    assert report.failed == []
    assert report.accepted == 230
    assert sorted(client.sent_ids) == sorted(ids)  # each accepted exactly once
    assert len(_stored(client.client, scope)) == 230
    # capped exponential backoff with (here maximal) jitter
    assert delays
    assert all(0 < delay <= 20.0 for delay in delays)
    assert delays[:2] == [0.5, 1.0]


def test_invalid_findings_are_reported_not_retried_and_not_counted(moto_endpoint: str, scope: str) -> None:
    client = RecordingClient(make_client(REGION))
    findings = _findings(10)
    bad = f"{scope}/bandit/{findings[4].fingerprint}"
    client.fail_always = {bad: "InvalidInput"}
    report = _importer(client, scope, dt.datetime(2030, 1, 1, tzinfo=dt.UTC)).sync(findings, {"bandit"})
    assert report.accepted == 9
    assert report.failed == [(bad, "InvalidInput", "injected")]
    assert client.calls == 1
    assert bad not in client.sent_ids


def test_batches_stay_under_100_findings_and_6_mb() -> None:
    records = [(f"id{n}", {}, 150_000) for n in range(250)]  # large findings: the byte limit binds first
    batches = list(plan_batches(records))
    assert all(len(batch) <= 100 for batch in batches)
    assert all(sum(size + 1 for _, _, size in batch) + 64 <= MAX_REQUEST_BYTES for batch in batches)
    assert sum(len(batch) for batch in batches) == 250
    small = list(plan_batches((f"id{n}", {}, 2_000) for n in range(1001)))
    assert [len(batch) for batch in small] == [100] * 10 + [1]


def test_cli_import_through_the_default_chain(moto_endpoint: str, corpus: Path, tmp_path: Path) -> None:
    requests: list[tuple[int, int]] = []

    def count(request: Any, **_: Any) -> None:
        body = json.loads(request.body)
        requests.append((len(body["Findings"]), len(request.body)))

    # Moto accepts anything: the limits are asserted on the wire, as AWS would enforce them.
    session_events = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
    assert session_events is not None
    session_events.events.register("before-send.securityhub.BatchImportFindings", count)
    try:
        args = ["process", str(corpus / "grype/many_vulns3.json"), "--env", "dev", "-q"]
        args += ["--config-dir", str(REPO_ROOT / "config"), "--scope", "example-org/repo/develop", "--import"]
        args += ["--summary", str(tmp_path / "s.md")]
        assert main(args) == 1  # imported, and the report's CRITICAL findings block even in dev
    finally:
        session_events.events.unregister("before-send.securityhub.BatchImportFindings", count)
    assert [n for n, _ in requests] == [100, 100, 100, 27]
    assert all(size < MAX_REQUEST_BYTES for _, size in requests)
    stored = _stored(boto3.client("securityhub", region_name=REGION), "example-org/repo/develop")
    assert len(stored) == 327
