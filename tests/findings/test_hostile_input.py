"""Hostile and malformed reports: a clear error or valid findings, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from findings_processor.model import Finding, Severity
from findings_processor.pipeline import parse_report
from findings_processor.reading import UnreadableReport
from findings_processor.writers import asff, sarif

_TARGET = asff.Target("123456789012", "eu-central-1", "test/hostile")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.text(min_size=3_000, max_size=6_000, alphabet="ab\x00\x1b\u202e\ud7ff"),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)

# Real envelopes with hostile contents: the shape matches a parser, the values do not.
KEYS = {
    "bandit": ["errors", "generated_at", "metrics", "results"],
    "semgrep": ["results", "errors", "paths", "version"],
    "trivy": ["SchemaVersion", "ArtifactName", "Results"],
    "grype": ["matches", "source", "descriptor"],
    "checkov": ["check_type", "results", "summary"],
    "pip-audit": ["dependencies"],
    "safety": ["report_meta", "vulnerabilities"],
    "sarif": ["version", "runs"],
}


@st.composite
def envelopes(draw: Any) -> Any:
    keys = KEYS[draw(st.sampled_from(sorted(KEYS)))]
    doc = {key: draw(values) for key in keys}
    for key in keys:
        if key in ("results", "Results", "matches", "dependencies", "vulnerabilities", "runs"):
            doc[key] = draw(st.lists(values, max_size=4))
    if "check_type" in doc:
        doc["results"] = draw(st.dictionaries(st.sampled_from(["failed_checks", "parsing_errors"]), values))
    return doc


def _check(raw: bytes) -> None:
    try:
        _, findings, _ = parse_report("hostile.json", lambda: raw)
    except UnreadableReport as error:
        message = str(error)
        assert 0 < len(message) < 400  # a clear message that does not echo the report back
        return
    for finding in findings:
        assert isinstance(finding, Finding)
        assert isinstance(finding.severity, Severity)
        record = asff.to_asff(
            finding, _TARGET, created_at="2030-01-01T00:00:00.000Z", updated_at="2030-01-01T00:00:00.000Z"
        )
        assert 1 <= len(record["Title"].strip()) <= 256
        assert 1 <= len(record["Description"].strip()) <= 1024
        json.dumps(record)
        # The direct encoder writes exactly what json.dumps makes of the record, hostile text included.
        encoded = asff.encode(
            finding, _TARGET, created_at="2030-01-01T00:00:00.000Z", updated_at="2030-01-01T00:00:00.000Z"
        )
        assert encoded == json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        result = sarif._result_json(finding, '{"ruleId":"r","ruleIndex":0,', {})
        assert result == json.dumps(
            sarif._result(finding, 0) | {"ruleId": "r"}, ensure_ascii=False, separators=(",", ":")
        )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(envelopes())
def test_hostile_values_in_real_envelopes(doc: Any) -> None:
    _check(json.dumps(doc).encode())


@settings(max_examples=100, deadline=None)
@given(values)
def test_arbitrary_json(doc: Any) -> None:
    _check(json.dumps(doc).encode())


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_including_invalid_utf8(raw: bytes) -> None:
    _check(raw)


def test_deep_nesting_is_a_clear_error() -> None:
    raw = ("[" * 100_000 + "]" * 100_000).encode()
    with pytest.raises(UnreadableReport, match="nested too deeply"):
        parse_report("deep.json", lambda: raw)


def test_specific_malformations_are_named() -> None:
    cases = {
        b"": "is empty",
        b"   \n": "is empty",
        b'{"results": [1, 2': "truncated JSON",
        b"\xff\xfe{}": "not UTF-8",
        b"<html>not json</html>": "not valid JSON",
        b'{"unknown": 1}': "unknown format",
        b"42": "unknown format",
    }
    for raw, message in cases.items():
        with pytest.raises(UnreadableReport, match=message):
            parse_report("case.json", lambda raw=raw: raw)
