"""The hot paths of large scans give exactly what the general code gives, and fingerprints never move."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from findings_processor.model import Category, Finding, Severity
from findings_processor.normalize import fingerprint, printable
from findings_processor.writers import asff, sarif
from findings_processor.writers.json_text import quote_text

# Long ASCII text with, now and then, a character that is not printable or needs escaping: the
# fast paths' own territory, where a missed character would go unnoticed in a test of short text.
_ASCII_TEXT = st.text(alphabet=st.characters(max_codepoint=0x7F), min_size=60, max_size=400)
_ANY_TEXT = st.one_of(st.text(max_size=300), _ASCII_TEXT)


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_printable_is_str_isprintable(text: str) -> None:
    assert printable(text) == text.isprintable()


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_quote_text_is_what_json_dumps_writes(text: str) -> None:
    assert quote_text(text) == json.dumps(text, ensure_ascii=False)


# Fingerprints are finding Ids in Security Hub: a change would archive every open finding and
# create it again. These values were made by the first implementation of `fingerprint`.
@pytest.mark.parametrize(
    ("scanner", "parts", "expected"),
    [
        (
            "semgrep",
            ("python.lang.rule", "src/app.py", "abc123"),
            "d753a0f07ad56d0a0ed66776d6306c0acad5ea8bdd58b2986b48542e5bf22080",
        ),
        (
            "trivy",
            (None, "requirements.txt", "CVE-2030-1", "pkg", None, None),
            "cd306226527115499d6bb0c8448d3b21adfdff950e7f16db80a226fe59befee3",
        ),
        ("bandit", ("B602", "app.py", 12), "79ee622b0d9a2cf04e2e4450e1950ed90fefb9d53102060bed0564001703cd4f"),
        (
            "gitleaks",
            ("aws-key", "x.py", True, 3.5),
            "fa03713aaeffe4b1b809614f2ef999b0719253424758a7d0174988826ae0f8b9",
        ),
        ("checkov", (), "fad3face6253eb0f73f98f4a5a57b76f969b213c9e3a411e4c52f1317ca72dcf"),
        ("grype", ("\u00fc", "\ud800", ""), "58da834178912f3b31d11f86074c73016d7f867c563ecf3611ba7aa6d6fbdb57"),
    ],
)
def test_fingerprints_keep_their_values(scanner: str, parts: tuple[object, ...], expected: str) -> None:
    assert fingerprint(scanner, *parts) == expected


_PARTS = st.lists(st.one_of(st.none(), st.text(max_size=40), st.integers(), st.booleans()), max_size=7)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=20), _PARTS)
def test_fingerprint_hashes_the_parts_joined_none_as_empty(scanner: str, parts: list[object]) -> None:
    joined = "\x1f".join([scanner, *("" if part is None else str(part) for part in parts)])
    assert fingerprint(scanner, *parts) == hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def _findings_of_one_rule() -> list[Finding]:
    """Findings of one rule whose texts are shared, equal but distinct, or different, interleaved."""
    title, description = "Shared title " * 8, "Shared description " * 8
    base = Finding(
        scanner="semgrep",
        rule_id="python.rule",
        title=title,
        description=description,
        severity=Severity.HIGH,
        severity_original="ERROR",
        category=Category.CODE,
        fingerprint="a" * 64,
        file="app.py",
        start_line=3,
        end_line=4,
        reference_url="https://sg.run/x",
    )
    equal_not_same = "".join(list(title))
    variants = [
        {},
        {"title": equal_not_same},
        {"title": 'Other "quoted" title\twith a tab ' * 4},
        {},
        {"description": "x" * 2000},
        {"title": "t" * 300},
        {},
        {"rule_id": "python.other"},
        {},
    ]
    return [
        dataclasses.replace(base, fingerprint=f"{number:064x}", **changes) for number, changes in enumerate(variants)
    ]


def test_asff_records_of_findings_sharing_texts_are_each_their_own() -> None:
    findings = _findings_of_one_rule()
    target = asff.Target("123456789012", "eu-central-1", "org/repo/main")
    written = io.BytesIO()
    asff.write_findings(findings, target, "2030-01-01T00:00:00.000Z", written)
    records = json.loads(written.getvalue())
    assert records == [
        asff.to_asff(f, target, created_at=records[0]["CreatedAt"], updated_at=records[0]["UpdatedAt"])
        for f in findings
    ]


def test_sarif_results_of_findings_sharing_texts_are_each_their_own() -> None:
    findings = _findings_of_one_rule()
    written = io.StringIO()
    sarif.write(findings, written)
    results = json.loads(written.getvalue())["runs"][0]["results"]
    indexes = {"python.rule": 0, "python.other": 1}
    assert results == [sarif._result(f, indexes[f.rule_id]) for f in findings]
