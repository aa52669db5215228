"""Every report in ../shared/corpus parses to the number of findings and coverage gaps written down here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from findings_processor.model import Category, Severity
from findings_processor.pipeline import parse_report
from findings_processor.reading import UnreadableReport

# file: (scanner, findings, coverage gaps) or ("error", part of the message)
EXPECTED: dict[str, tuple[str, int, int] | tuple[str, str]] = {
    "bandit/bandit-ash-src.json": ("bandit", 12, 0),
    "bandit/bandit-report.json": ("bandit", 6, 0),
    "bandit/bandit_error.json": ("bandit", 4, 2),
    "bandit/dd.json": ("bandit", 47, 0),
    "bandit/many_vulns.json": ("bandit", 213, 0),  # one result repeated field for field
    "bandit/no_vuln.json": ("bandit", 0, 0),
    "bandit/one_vuln.json": ("bandit", 1, 0),
    "checkov/checkov-ash-src.test.yaml.json": ("checkov", 6, 0),
    "checkov/checkov-report-0-vuln.json": ("checkov", 0, 0),
    "checkov/checkov-report-1-vuln.json": ("checkov", 1, 0),
    "checkov/checkov-report-many-vuln.json": ("checkov", 3, 0),
    "checkov/checkov-report-multiple-check_type.json": ("checkov", 13, 0),
    "checkov/checkov-report-severity.json": ("checkov", 4, 0),
    "checkov/checkov-report-terraform-list.json": ("checkov", 8, 1),
    "checkov/checkov-results-cloudformation.json": ("checkov", 15, 0),
    "checkov/checkov2-report-0-vuln.json": ("checkov", 0, 0),
    "gitleaks/data_many.json": ("gitleaks", 2, 0),
    "gitleaks/data_one.json": ("gitleaks", 1, 0),
    "gitleaks/empty.json": ("gitleaks", 0, 0),
    "gitleaks/gitleaks-report-dvwa.json": ("gitleaks", 86, 0),
    "gitleaks/gitleaks-report-pygoat.json": ("gitleaks", 11, 0),
    "gitleaks/gitleaks8_many.json": ("gitleaks", 4, 0),
    "gitleaks/issue4336.json": ("gitleaks", 1, 0),
    "gitleaks/json_simple.json": ("gitleaks", 1, 0),
    "gitleaks/no_findings.json": ("gitleaks", 0, 0),
    "gitleaks/redacted_data_many.json": ("gitleaks", 6, 0),
    "gitleaks/version_7.5.0.json": ("gitleaks", 8, 0),
    "grype/TestEmptyJsonPresenter.golden": ("grype", 0, 0),
    "grype/TestJsonImgsPresenter.golden": ("grype", 2, 0),
    "grype/check_all_fields.json": ("grype", 5, 0),  # one match found twice (two matchers)
    "grype/fix_available.json": ("grype", 1, 0),
    "grype/fix_not_available.json": ("grype", 1, 0),
    "grype/grype-0.91.0-ash-dir.json": ("grype", 8, 0),
    "grype/issue_9618.json": ("grype", 35, 0),
    "grype/many_vulns3.json": ("grype", 327, 0),
    "grype/many_vulns4.json": ("grype", 9, 0),
    "grype/many_vulns_with_epss_values.json": ("grype", 15, 0),
    "grype/no_vuln.json": ("grype", 0, 0),
    "grype/same_cve_different_paths.json": ("grype", 2, 0),
    "pip_audit/empty.json": ("pip-audit", 0, 0),
    "pip_audit/empty_new.json": ("pip-audit", 0, 0),
    "pip_audit/many_vulns.json": ("pip-audit", 7, 1),
    "pip_audit/many_vulns_new.json": ("pip-audit", 7, 1),
    "pip_audit/pip-audit-report-gdown.json": ("pip-audit", 0, 0),
    "pip_audit/pip-audit-report.json": ("pip-audit", 4, 0),
    "pip_audit/zero_vulns.json": ("pip-audit", 0, 1),
    "pip_audit/zero_vulns_new.json": ("pip-audit", 0, 1),
    "safety/no_recommended_remediation_report.json": ("safety", 1, 0),
    "safety/report_with_recommended_fix.json": ("safety", 4, 0),
    "safety/safety-2.0b1-report.json": ("safety", 1, 0),
    "safety/safety-2.3.5-check.json": ("safety", 1, 0),
    "safety/safety-3.2.14-scan-schema3.0.json": ("safety", 58, 0),
    "safety/safety-3.6.1-scan-extracted.json": ("safety", 1, 0),
    "safety/safety-report-3.7.0-check-with-banner.json": ("safety", 2, 0),
    "safety/safety-v1-empty.json": ("safety", 0, 0),
    "safety/safety-v1-example_report.json": ("safety", 3, 0),
    "safety/safety-v1-many_vulns.json": ("safety", 5, 0),
    "safety/safety-v1-multiple_cves.json": ("safety", 1, 0),
    "safety/safety-v1-no_cve.json": ("safety", 1, 0),
    "sarif/appendix_k1_double.sarif": ("sarif", 0, 0),
    "sarif/bandit.sarif": ("sarif", 1, 0),
    "sarif/checkov-3.3.8-results_sarif.sarif": ("sarif", 27, 0),
    "sarif/gitleaks-sarif_simple.sarif": ("sarif", 1, 0),
    "sarif/gitleaks_7.5.0.sarif": ("sarif", 8, 0),
    "sarif/grype-0.34.7-cxf-3.4.6.sarif": ("sarif", 22, 0),
    "sarif/grype-TestSarifPresenter_image.sarif": ("sarif", 2, 0),
    "sarif/no_runs.sarif": ("sarif", 0, 0),
    "sarif/semgrep-1.69.0-issue_10191.sarif.json": ("sarif", 77, 0),
    "sarif/semgrepowasp-benchmark-sample.sarif": ("sarif", 1768, 0),
    "sarif/suppression_test.sarif": ("sarif", 5, 0),
    "sarif/trivy-alpine-310.sarif": ("sarif", 4, 0),
    "sarif/trivy-fs-report.sarif": ("sarif", 2, 0),
    "semgrep/cwe_list.json": ("semgrep", 1, 0),
    "semgrep/empty.json": ("semgrep", 0, 0),
    "semgrep/fingerprint_test.json": ("semgrep", 2, 0),
    "semgrep/high-medium-low-severities.json": ("semgrep", 3, 0),
    "semgrep/issue_8435.json": ("semgrep", 1, 0),
    "semgrep/many_findings.json": ("semgrep", 3, 0),
    "semgrep/one_finding.json": ("semgrep", 1, 0),
    "semgrep/repeated_findings.json": ("semgrep", 1, 0),  # the same result twice
    "semgrep/semgrep-1.116.0-ash.json": ("semgrep", 36, 15),
    "semgrep/semgrep-report-dvwa.json": ("semgrep", 194, 1),
    "semgrep/semgrep-report.json": ("semgrep", 27, 3),
    "semgrep/semgrep_version_1_30_0_line_26.json": ("semgrep", 5, 0),
    "trivy/all_statuses.json": ("trivy", 8, 0),
    "trivy/alpine-310.asff.golden": ("error", "is already ASFF"),
    "trivy/alpine-310.json.golden": ("trivy", 4, 0),
    "trivy/cvss_severity_source.json": ("trivy", 2, 0),
    "trivy/cvssv4_severity_source.json": ("trivy", 3, 0),
    "trivy/dockerfile.json.golden": ("trivy", 1, 0),
    "trivy/issue_10991.json": ("trivy", 37, 0),
    "trivy/issue_14136.json": ("trivy", 1, 0),
    "trivy/issue_9333.json": ("trivy", 13, 0),
    "trivy/kubernetes.json": ("trivy", 20, 0),
    "trivy/legacy_many_vulns.json": ("trivy", 93, 0),
    "trivy/legacy_no_vuln.json": ("trivy", 0, 0),
    "trivy/legacy_trivy_mix.json": ("trivy", 7, 0),
    "trivy/license_scheme.json": ("trivy", 19, 0),
    "trivy/misconfigurations_and_secrets.json": ("trivy", 5, 0),
    "trivy/npm-ubuntu-severity.json.golden": ("trivy", 1, 0),
    "trivy/pip.json.golden": ("trivy", 2, 0),
    "trivy/scheme_2_many_vulns.json": ("trivy", 5, 0),
    "trivy/scheme_2_no_vuln.json": ("trivy", 0, 0),
    "trivy/secrets.asff.golden": ("error", "is already ASFF"),
    "trivy/secrets.json.golden": ("trivy", 2, 0),
    "trivy/severity_prio.json": ("trivy", 2, 0),
    "trivy/terraform-remote-module.json.golden": ("trivy", 3, 0),
    "trivy/trivy-image-debian13-report.json": ("trivy", 53, 0),
    "trufflehog/trufflehog-filesystem-report.jsonl": ("trufflehog", 101, 0),
    "trufflehog/trufflehog-git-wrongsecrets.jsonl": ("trufflehog", 26, 0),
    "trufflehog/trufflehog3_many_vulns_current.json": (
        "error",
        "trufflehog3 (feeltheajf) report, which is not supported",
    ),
    "trufflehog/trufflehog3_zero_vulns.json": ("trufflehog", 0, 0),
    "trufflehog/v2_many_vulns.json": ("error", "trufflehog v2 report, which is not supported"),
    "trufflehog/v3_git.json": ("trufflehog", 4, 0),
    "trufflehog/v3_github.json": ("trufflehog", 4, 0),
}


def _corpus_files(corpus: Path) -> list[str]:
    return sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file() and p.suffix != ".md")


def test_every_corpus_file_has_an_expectation(corpus: Path) -> None:
    # Given the corpus on disk / Then each of its 115 reports is written down above, and nothing else is
    assert _corpus_files(corpus) == sorted(EXPECTED)
    assert len(EXPECTED) == 115


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_corpus_report_parses_as_expected(corpus: Path, relative: str) -> None:
    expected = EXPECTED[relative]
    path = corpus / relative
    if expected[0] == "error":
        with pytest.raises(UnreadableReport, match=re.escape(str(expected[1]))):
            parse_report(relative, path.read_bytes)
        return
    scanner, findings, ctx = parse_report(relative, path.read_bytes)
    assert (scanner, len(findings), len(ctx.gaps)) == expected
    # Within one report no two findings share a fingerprint.
    assert len({f.fingerprint for f in findings}) == len(findings)


def test_known_severities_and_fields_are_mapped(corpus: Path) -> None:
    _, trivy, _ = parse_report("t", (corpus / "trivy/alpine-310.json.golden").read_bytes)
    by_cve = {f.rule_id: f for f in trivy}
    assert by_cve["CVE-2019-1549"].severity is Severity.MEDIUM
    assert by_cve["CVE-2019-1549"].package in {"libcrypto1.1", "libssl1.1"}
    # trivy's own ASFF template gives these two packages the same Id; ours keeps them apart.
    assert len([f for f in trivy if f.rule_id == "CVE-2019-1549"]) == 2

    _, grype, _ = parse_report("g", (corpus / "grype/many_vulns3.json").read_bytes)
    originals = {f.severity_original: f.severity for f in grype}
    assert originals["Negligible"] is Severity.INFORMATIONAL
    assert originals["Unknown"] is Severity.INFORMATIONAL

    _, semgrep, _ = parse_report("s", (corpus / "semgrep/high-medium-low-severities.json").read_bytes)
    assert {f.severity_original: f.severity for f in semgrep} == {"LOW": Severity.LOW}
    # Three matches of one rule in one file carry semgrep's own distinct fingerprints: three findings.
    assert len({f.fingerprint for f in semgrep}) == 3

    _, sarif, _ = parse_report("s", (corpus / "sarif/suppression_test.sarif").read_bytes)
    assert sum(f.suppressed for f in sarif) == 3

    _, gitleaks, _ = parse_report("g", (corpus / "gitleaks/gitleaks-report-pygoat.json").read_bytes)
    assert all(f.category is Category.SECRET and f.severity >= Severity.HIGH for f in gitleaks)


def test_coverage_gaps_name_what_was_not_checked(corpus: Path) -> None:
    _, _, ctx = parse_report("p", (corpus / "pip_audit/zero_vulns.json").read_bytes)
    assert len(ctx.gaps) == 1
    assert ctx.gaps[0].scanner == "pip-audit"
    assert ctx.gaps[0].reason

    _, _, ctx = parse_report("b", (corpus / "bandit/bandit_error.json").read_bytes)
    assert {gap.what for gap in ctx.gaps} >= {"LICENSE"}
    assert all("syntax error" in gap.reason for gap in ctx.gaps)


def test_banner_wrapped_json_is_read_past(corpus: Path) -> None:
    raw = (corpus / "safety/safety-report-3.7.0-check-with-banner.json").read_bytes()
    assert raw.lstrip()[:1] != b"{"  # the banner really is there
    scanner, findings, _ = parse_report("banner", lambda: raw)
    assert scanner == "safety"
    assert len(findings) == 2
