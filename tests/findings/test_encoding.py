"""The output encoders write exactly the JSON that json.dumps makes of the records they stand for."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from findings_processor.model import Category, Finding, Severity
from findings_processor.pipeline import file_sources, process
from findings_processor.writers import asff, sarif

_TARGETS = (
    asff.Target("123456789012", "eu-central-1", "org/repo/main"),
    asff.Target("000000000000", "cn-north-1", "a"),
)
_NOW = "2030-01-01T00:00:00.000Z"


def _dumps(record: object) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _corpus_findings(corpus: Path) -> list[Finding]:
    return process(file_sources([corpus])).findings


def _edge_findings() -> list[Finding]:
    base = Finding(
        scanner="trivy",
        rule_id="CVE-2030-0001",
        title="t" * 300,
        description='d\u00e9\u202e"\\\n' * 300,
        severity=Severity.HIGH,
        severity_original="x" * 70,
        category=Category.VULNERABILITY,
        fingerprint="a" * 64,
        confidence="medium",
        file='src/\u00fcber "q".py',
        start_line=3,
        end_line=9,
        package="p" * 1100,
        version="1.0",
        fixed_version="1.1",
        image="registry/image:tag",
        layer="sha256:" + "b" * 64,
        resource="r" * 600,
        cves=("CVE-2030-0001",),
        cwes=("CWE-79", "CWE-89"),
        reference_url="http://example.com/" + "u" * 3000,
        suppressed=True,
    )
    return [
        base,
        dataclasses.replace(base, category=Category.SECRET, fixed_version=None),
        dataclasses.replace(base, category=Category.MISCONFIGURATION, confidence="none"),
        dataclasses.replace(
            base,
            category=Category.CODE,
            image=None,
            file=None,
            package=None,
            start_line=None,
            end_line=None,
            reference_url="ftp://x",
            suppressed=False,
            confidence=None,
        ),
        dataclasses.replace(
            base,
            category=Category.LICENSE,
            image=None,
            file=None,
            resource=None,
            fixed_version=None,
            reference_url=None,
            cves=(),
            cwes=(),
            title="short",
            description="short",
        ),
        dataclasses.replace(
            base,
            package=None,
            image=None,
            file=None,
            resource=None,
            version=None,
            layer=None,
            start_line=None,
            end_line=None,
            reference_url=None,
            fixed_version=None,
        ),
    ]


@pytest.mark.parametrize("target", _TARGETS)
def test_asff_encoding_equals_json_dumps_of_the_record(corpus: Path, target: asff.Target) -> None:
    for finding in [*_corpus_findings(corpus), *_edge_findings()]:
        for state in ("ACTIVE", "ARCHIVED"):
            record = asff.to_asff(
                finding, target, created_at=_NOW, updated_at="2031-01-01T00:00:00.000Z", record_state=state
            )
            encoded = asff.encode(
                finding, target, created_at=_NOW, updated_at="2031-01-01T00:00:00.000Z", record_state=state
            )
            assert encoded == _dumps(record)


def test_asff_file_equals_the_json_array_of_the_records(corpus: Path) -> None:
    findings = [*_corpus_findings(corpus), *_edge_findings()]
    target = _TARGETS[0]
    expected = io.StringIO()
    asff.write_json_array(asff.records(findings, target, _NOW), expected)
    written = io.BytesIO()
    sizes = asff.write_findings(findings, target, _NOW, written)
    assert written.getvalue() == expected.getvalue().encode("utf-8", "replace")
    assert sizes == [len(_dumps(record).encode("utf-8", "replace")) for record in asff.records(findings, target, _NOW)]
    empty = io.BytesIO()
    assert asff.write_findings([], target, _NOW, empty) == []
    assert empty.getvalue() == b"[]\n"


def test_sarif_results_equal_json_dumps_of_the_result(corpus: Path) -> None:
    for finding in [*_corpus_findings(corpus), *_edge_findings()]:
        head = f'{{"ruleId":{json.dumps(finding.rule_id, ensure_ascii=False)},"ruleIndex":7,'
        assert sarif._result_json(finding, head, {}) == _dumps(sarif._result(finding, 7))


def test_sarif_rules_equal_json_dumps_of_the_rule(corpus: Path) -> None:
    for finding in [*_corpus_findings(corpus), *_edge_findings()]:
        for score in ("9.5", "0.0"):
            rule = sarif._rule(finding)
            rule["properties"]["security-severity"] = score
            assert sarif._rule_json(finding, score) == _dumps(rule)
