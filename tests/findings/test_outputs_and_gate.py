"""CLI over the corpus: valid SARIF, JUnit and ASFF within AWS limits; the gate's exit codes and exceptions."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from findings_processor.batches import MAX_FINDING_BYTES
from findings_processor.cli import main
from findings_processor.gate import (
    GateConfigError,
    Policy,
    evaluate,
    load_exceptions,
    load_policy,
    parse_exceptions,
)
from findings_processor.model import Category, Finding, Severity
from findings_processor.normalize import fingerprint
from findings_processor.writers import asff

from .conftest import REPO_ROOT


@pytest.fixture(scope="module")
def corpus_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("corpus-run")
    status = main(
        [
            "process",
            str(corpus),
            "--env",
            "prod",
            "--config-dir",
            str(REPO_ROOT / "config"),
            "--asff",
            str(out / "findings.asff.json"),
            "--sarif",
            str(out / "findings.sarif"),
            "--junit",
            str(out / "junit.xml"),
            "--summary",
            str(out / "summary.md"),
            "--quiet",
        ]
    )
    return status, out


def test_corpus_run_blocks_and_names_every_unreadable_report(corpus_run: tuple[int, Path]) -> None:
    status, out = corpus_run
    assert status == 1  # prod blocks at MEDIUM, and the corpus has secrets
    summary = (out / "summary.md").read_text().replace("\\", "")  # Markdown escapes
    assert summary.startswith("## Security gate: BLOCKED")
    for name in ("alpine-310.asff.golden", "secrets.asff.golden", "trufflehog3_many_vulns_current.json"):
        assert name in summary
    assert "v2_many_vulns.json is a trufflehog v2 report" in summary
    assert "Unreadable reports (4)" in summary
    assert "Coverage gaps" in summary


def test_sarif_is_valid_against_the_2_1_0_schema(corpus_run: tuple[int, Path], sarif_validator: Any) -> None:
    _, out = corpus_run
    document = json.loads((out / "findings.sarif").read_text())
    errors = sorted(sarif_validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, errors[0].message
    runs = document["runs"]
    assert len({run["tool"]["driver"]["name"] for run in runs}) == len(runs)  # one run per scanner
    results = [result for run in runs for result in run["results"]]
    assert len(results) > 3000
    fingerprints = [r["partialFingerprints"]["platformFindingFingerprint/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_asff_respects_required_fields_and_limits(corpus_run: tuple[int, Path]) -> None:
    _, out = corpus_run
    records = json.loads((out / "findings.asff.json").read_text())
    required = {"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt"}
    required |= {"Title", "Description", "Resources", "Severity", "Types", "FindingProviderFields"}
    assert len({record["Id"] for record in records}) == len(records)
    for record in records:
        assert required <= record.keys()
        assert record["SchemaVersion"] == "2018-10-08"
        assert record["ProductArn"].endswith(":product/000000000000/default")
        assert len(record["Id"]) <= 512
        assert len(record["GeneratorId"]) <= 512
        assert 1 <= len(record["Title"].strip()) <= len(record["Title"]) <= 256
        assert 1 <= len(record["Description"].strip()) <= len(record["Description"]) <= 1024
        assert record["FindingProviderFields"]["Severity"]["Label"] in Severity.__members__
        assert len(record["Severity"]["Original"]) <= 64
        assert len(record["ProductFields"]) <= 50
        assert all(len(k) <= 128 and len(v) <= 2048 and v.strip() for k, v in record["ProductFields"].items())
        assert 1 <= len(record["Resources"]) <= 32
        assert all(r["Type"] and r["Id"] and len(r["Region"]) <= 16 for r in record["Resources"])
        if "Remediation" in record:
            assert len(record["Remediation"]["Recommendation"]["Text"]) <= 512
        assert record["CreatedAt"] == record["UpdatedAt"]
        assert len(json.dumps(record).encode()) < MAX_FINDING_BYTES
    assert any(record["Title"].endswith(asff.TRUNCATION_MARK) for record in records) or any(
        "platform/Truncated" in record["ProductFields"] for record in records
    )


def test_junit_is_well_formed_and_counts_blocking_findings(corpus_run: tuple[int, Path]) -> None:
    _, out = corpus_run
    root = ET.parse(out / "junit.xml").getroot()  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    failures = sum(int(suite.get("failures", "0")) for suite in root.iter("testsuite"))
    assert failures > 0
    assert any(suite.get("name") == "coverage" for suite in root.iter("testsuite"))


def _finding(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "scanner": "bandit",
        "rule_id": "B602",
        "title": "subprocess with shell=True",
        "description": "subprocess call with shell=True identified",
        "severity": Severity.HIGH,
        "severity_original": "HIGH",
        "category": Category.CODE,
        "fingerprint": fingerprint("bandit", "B602", "app.py"),
        "file": "app.py",
        "start_line": 3,
        "end_line": 3,
    }
    values.update(overrides)
    return Finding(**values)


def test_policy_threshold_secrets_and_suppressions() -> None:
    policy = Policy(block_at=Severity.CRITICAL, coverage_gaps_block=False)
    high = _finding()
    secret = _finding(category=Category.SECRET, severity=Severity.LOW, rule_id="aws-key", fingerprint="a" * 64)
    suppressed_secret = _finding(category=Category.SECRET, suppressed=True, fingerprint="b" * 64)
    suppressed_critical = _finding(severity=Severity.CRITICAL, suppressed=True, fingerprint="c" * 64)
    gate = evaluate([high, secret, suppressed_secret, suppressed_critical], env="dev", policy=policy)
    blocking = {v.finding.fingerprint for v in gate.blocking}
    assert blocking == {secret.fingerprint, suppressed_secret.fingerprint}
    assert not gate.passed


def test_exception_accepts_until_expiry_then_blocks_and_says_so() -> None:
    finding = _finding()
    policy = Policy(block_at=Severity.MEDIUM, coverage_gaps_block=False)
    exceptions = parse_exceptions(
        {
            "exception": [
                {
                    "rule": "B602",
                    "paths": ["app.py"],
                    "environments": ["prod"],
                    "owner": "platform-team",
                    "reason": "input is a constant",
                    "expires": dt.date(2030, 1, 31),
                }
            ]
        },
        "test",
    )
    before = evaluate([finding], env="prod", policy=policy, exceptions=exceptions, today=dt.date(2030, 1, 31))
    assert before.passed
    after = evaluate([finding], env="prod", policy=policy, exceptions=exceptions, today=dt.date(2030, 2, 1))
    assert not after.passed
    assert "EXPIRED on 2030-01-31" in after.blocking[0].reason
    elsewhere = evaluate([finding], env="qa", policy=policy, exceptions=exceptions, today=dt.date(2030, 1, 1))
    assert not elsewhere.passed  # the exception's scope is prod only


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"owner": "a", "reason": "b", "expires": dt.date(2030, 1, 1)}, "exactly one of 'rule' or 'fingerprint'"),
        ({"rule": "x", "reason": "b", "expires": dt.date(2030, 1, 1)}, "non-empty 'owner'"),
        ({"rule": "x", "owner": "a", "reason": "b", "expires": "2030-01-01"}, "TOML date"),
        ({"rule": "x", "owner": "a", "reason": "b", "expires": dt.date(2030, 1, 1), "colour": 1}, "unknown field"),
    ],
)
def test_invalid_exceptions_are_rejected(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(GateConfigError, match=message):
        parse_exceptions({"exception": [entry]}, "test")


def test_policy_comes_from_the_platform_config() -> None:
    config = REPO_ROOT / "config"
    assert load_policy(config, "prod") == Policy(Severity.MEDIUM, True)
    assert load_policy(config, "dev") == Policy(Severity.CRITICAL, False)
    with pytest.raises(GateConfigError, match="no configuration for environment 'nowhere'"):
        load_policy(config, "nowhere")


def test_shipped_exceptions_file_is_valid_and_empty() -> None:
    assert load_exceptions(REPO_ROOT / "config" / "gate-exceptions.toml") == []


def _report(path: Path, severity: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "errors": [],
                "generated_at": "2024-01-01T00:00:00Z",
                "metrics": {},
                "results": [
                    {
                        "code": "3 subprocess.call(cmd, shell=True)\n",
                        "filename": "app.py",
                        "issue_confidence": "HIGH",
                        "issue_severity": severity,
                        "issue_text": "subprocess call with shell=True identified",
                        "line_number": 3,
                        "line_range": [3],
                        "test_id": "B602",
                        "test_name": "subprocess_popen_with_shell_equals_true",
                    }
                ],
            }
        )
    )
    return path


def test_cli_exit_codes(tmp_path: Path) -> None:
    config = str(REPO_ROOT / "config")
    high = str(_report(tmp_path / "high.json", "HIGH"))
    low = str(_report(tmp_path / "low.json", "LOW"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"results": [')
    summary = str(tmp_path / "s.md")
    common = ["--config-dir", config, "--summary", summary, "-q"]
    medium = str(_report(tmp_path / "medium.json", "MEDIUM"))
    assert main(["process", low, "--env", "prod", *common]) == 0
    assert main(["process", medium, "--env", "prod", *common]) == 1  # prod blocks at MEDIUM
    assert main(["process", medium, "--env", "qa", *common]) == 0  # qa at HIGH
    assert main(["process", high, "--env", "qa", *common]) == 1
    assert main(["process", high, "--env", "dev", *common]) == 0
    assert main(["process", low, str(broken), "--env", "qa", *common]) == 0  # others still processed
    assert "broken.json is truncated JSON" in Path(summary).read_text().replace("\\", "")
    assert main(["process", low, str(broken), "--env", "qa", "--strict", *common]) == 2
    assert main(["process", low, "--env", "nowhere", *common]) == 2
    assert main(["process", str(tmp_path / "missing.json"), "--env", "qa", *common]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["process", low])
    assert usage.value.code == 2


def test_cli_expired_exception_blocks(tmp_path: Path) -> None:
    report = str(_report(tmp_path / "high.json", "HIGH"))
    exceptions = tmp_path / "exceptions.toml"
    exceptions.write_text(
        '[[exception]]\nrule = "B602"\nowner = "team"\nreason = "constant input"\nexpires = 2030-06-30\n'
    )
    summary = tmp_path / "s.md"
    common = ["--config-dir", str(REPO_ROOT / "config"), "--exceptions", str(exceptions), "--summary", str(summary)]
    assert main(["process", report, "--env", "qa", *common, "--today", "2030-06-30", "-q"]) == 0
    assert "Accepted by exception" in summary.read_text()
    assert main(["process", report, "--env", "qa", *common, "--today", "2030-07-01", "-q"]) == 1
    assert "EXPIRED on 2030-06-30" in summary.read_text()
