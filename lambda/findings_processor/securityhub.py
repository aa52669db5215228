"""Security Hub import: batches within AWS's limits, retries, and archiving of what a re-scan no longer reports.

Every scan has a scope (repository, branch or environment) and every finding Id starts with
`<scope>/<scanner>/`. Before importing, the findings already in Security Hub under that prefix are
read back, so that `CreatedAt` stays at first seen, `UpdatedAt` is always later than the stored one
(Security Hub silently ignores an update that is not), and findings no longer reported are resent
as ARCHIVED. Scanners whose report was unreadable are left alone: a missing report is not a fix.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from findings_processor.batches import plan_batches, serialized
from findings_processor.model import Finding
from findings_processor.writers.asff import Target, timestamp, to_asff

LOG = logging.getLogger(__name__)

# Transient failures: retried with capped exponential backoff and full jitter.
RETRYABLE_ERRORS = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalException",
        "InternalServerError",
        "InternalFailure",
    }
)
# Per-finding errors that no retry can fix: the finding is reported failed at once.
TERMINAL_FINDING_ERRORS = frozenset(
    {"InvalidInput", "InvalidInputException", "InvalidAccess", "InvalidAccessException"}
)
# Fields Security Hub adds or the customer owns; they are not sent back when a finding is archived.
_NOT_RESENT = frozenset({"ProcessedAt", "WorkflowState", "Workflow", "Note", "UserDefinedFields", "VerificationState"})
_FRACTION = re.compile(r"(\.\d{6})\d+")


class SecurityHubClient(Protocol):
    def batch_import_findings(self, *, Findings: list[dict[str, Any]]) -> dict[str, Any]: ...

    def get_findings(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Previous:
    created_at: str
    updated_at: str
    record_state: str


@dataclass(slots=True)
class ImportReport:
    accepted: int = 0
    created: int = 0
    updated: int = 0
    archived: int = 0
    calls: int = 0
    retries: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (Id, ErrorCode, ErrorMessage)

    @property
    def ok(self) -> bool:
        return not self.failed


def later_than(now: dt.datetime, previous: str | None) -> dt.datetime:
    """`now`, or one millisecond after `previous` when the stored UpdatedAt is not earlier (clock skew, re-runs)."""
    if not previous:
        return now
    earlier = parse_timestamp(previous)
    if earlier is None or earlier < now.replace(microsecond=now.microsecond // 1000 * 1000):
        return now
    return earlier + dt.timedelta(milliseconds=1)


def parse_timestamp(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class SecurityHubImporter:
    def __init__(
        self,
        client: SecurityHubClient,
        target: Target,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        jitter: Callable[[], float] = random.random,
        max_attempts: int = 8,
        base_delay: float = 0.25,  # seconds
        max_delay: float = 20.0,  # seconds
    ) -> None:
        self._client = client
        self._target = target
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay

    def sync(self, findings: Sequence[Finding], scanners: Iterable[str]) -> ImportReport:
        """Import the scan's findings and archive what the same scope's scanners no longer report."""
        report = ImportReport()
        current = {self._target.finding_id(finding): finding for finding in findings}
        previous, vanished = self._previous(sorted(set(scanners) | {f.scanner for f in findings}), current.keys())
        now = self._clock()
        records = self._records(current, previous, vanished, now, report)
        for batch in plan_batches(serialized(record) for record in records):
            self._send(batch, report)
        LOG.info(
            "security hub: %d accepted (%d new, %d updated, %d archived) in %d call(s), %d retries, %d failed",
            report.accepted,
            report.created,
            report.updated,
            report.archived,
            report.calls,
            report.retries,
            len(report.failed),
        )
        return report

    def _records(
        self,
        current: dict[str, Finding],
        previous: dict[str, Previous],
        vanished: list[dict[str, Any]],
        now: dt.datetime,
        report: ImportReport,
    ) -> Iterator[dict[str, Any]]:
        for finding_id, finding in current.items():
            before = previous.get(finding_id)
            updated = timestamp(later_than(now, before.updated_at if before else None))
            # On creation CreatedAt equals UpdatedAt; afterwards it stays at first seen.
            created = before.created_at if before else updated
            if before:
                report.updated += 1
            else:
                report.created += 1
            yield to_asff(finding, self._target, created_at=created, updated_at=updated)
        for stored in vanished:
            archived = {key: value for key, value in stored.items() if key not in _NOT_RESENT}
            fields = archived.get("ProductFields")
            if isinstance(fields, dict):
                archived["ProductFields"] = {k: v for k, v in fields.items() if not k.startswith("aws/")}
            archived["RecordState"] = "ARCHIVED"
            archived["UpdatedAt"] = timestamp(later_than(now, stored.get("UpdatedAt")))
            report.archived += 1
            yield archived

    def _previous(
        self, scanners: Sequence[str], current_ids: Iterable[str]
    ) -> tuple[dict[str, Previous], list[dict[str, Any]]]:
        """What Security Hub holds for each (scope, scanner): timestamps of all, full records of the vanished."""
        wanted = set(current_ids)
        previous: dict[str, Previous] = {}
        vanished: list[dict[str, Any]] = []
        for scanner in scanners:
            prefix = self._target.id_prefix(scanner)
            filters = {
                "ProductArn": [{"Value": self._target.product_arn, "Comparison": "EQUALS"}],
                "Id": [{"Value": prefix, "Comparison": "PREFIX"}],
            }
            token: str | None = None
            while True:
                request: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
                if token:
                    request["NextToken"] = token
                response = self._call(functools.partial(self._client.get_findings, **request))
                for stored in response.get("Findings", []):
                    finding_id = stored.get("Id", "")
                    # Checked here too: filters are the service's job, correctness is ours.
                    if not finding_id.startswith(prefix) or stored.get("ProductArn") != self._target.product_arn:
                        continue
                    previous[finding_id] = Previous(
                        created_at=stored.get("CreatedAt", ""),
                        updated_at=stored.get("UpdatedAt", ""),
                        record_state=stored.get("RecordState", "ACTIVE"),
                    )
                    if finding_id not in wanted and stored.get("RecordState", "ACTIVE") == "ACTIVE":
                        vanished.append(stored)
                token = response.get("NextToken")
                if not token:
                    break
        return previous, vanished

    def _send(self, batch: list[tuple[str, dict[str, Any], int]], report: ImportReport) -> None:
        pending = batch
        for attempt in range(self._max_attempts):
            if attempt:
                report.retries += 1
                self._sleep(self._delay(attempt))
            report.calls += 1
            try:
                response = self._client.batch_import_findings(Findings=[record for _, record, _ in pending])
            except Exception as error:  # botocore errors, classified by code below
                code = _error_code(error)
                if code in RETRYABLE_ERRORS and attempt + 1 < self._max_attempts:
                    LOG.warning("BatchImportFindings throttled or unavailable (%s); retrying %d", code, len(pending))
                    continue
                report.failed += [(finding_id, code, "request failed") for finding_id, _, _ in pending]
                LOG.error("BatchImportFindings failed (%s) for %d finding(s)", code, len(pending))
                return
            failed = {
                entry.get("Id", ""): (entry.get("ErrorCode", "Unknown"), entry.get("ErrorMessage", ""))
                for entry in response.get("FailedFindings", []) or []
            }
            if response.get("FailedCount", 0) and not failed:
                failed = {finding_id: ("Unknown", "FailedCount without FailedFindings") for finding_id, _, _ in pending}
            report.accepted += sum(1 for finding_id, _, _ in pending if finding_id not in failed)
            retry = []
            for finding_id, record, size in pending:
                if finding_id not in failed:
                    continue
                code, message = failed[finding_id]
                # Logged by Id and error only: a finding body can hold sensitive data.
                LOG.warning("finding %s not accepted: %s %s", finding_id, code, message[:300])
                if code in TERMINAL_FINDING_ERRORS or attempt + 1 >= self._max_attempts:
                    report.failed.append((finding_id, code, message[:300]))
                else:
                    retry.append((finding_id, record, size))
            if not retry:
                return
            pending = retry

    def _call(self, operation: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._delay(attempt))
            try:
                return operation()
            except Exception as error:
                if _error_code(error) in RETRYABLE_ERRORS and attempt + 1 < self._max_attempts:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int) -> float:
        """Full jitter over a capped exponential: spreads retries of parallel pipelines apart."""
        return float(self._jitter() * min(self._max_delay, self._base_delay * (2**attempt)))


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(error).__name__


def make_client(region: str | None = None) -> Any:
    """A Security Hub client through the default credential chain; retries are ours, not botocore's."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - imported only where AWS is called
    from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, user_agent_extra="findings-processor")
    return boto3.client("securityhub", region_name=region, config=config)


def discover_account(region: str | None) -> str:
    import boto3  # noqa: PLC0415

    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    return str(account)
