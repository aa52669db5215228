"""Secrets never leave the scan: no output file and no log line contains a secret from any report."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import string
from pathlib import Path
from typing import Any

import pytest

from findings_processor.cli import main

from .conftest import REPO_ROOT


def _token(prefix: str, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


@pytest.fixture
def secret_reports(tmp_path: Path) -> tuple[Path, list[str]]:
    """Realistic-looking credentials made at test time, so none is ever committed."""
    aws_key = _token("AKIA", 16, string.ascii_uppercase + string.digits)
    aws_secret = _token("", 40)
    github = _token("ghp_", 36)
    password = _token("Pw-", 20)
    slack = _token("xoxb-", 30)
    private = _token("-----BEGIN RSA PRIVATE KEY-----MII", 40)
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "gitleaks8.json").write_text(
        json.dumps(
            [
                {
                    "RuleID": "aws-access-token",
                    "Description": f"AWS key {aws_key} found",
                    "StartLine": 3,
                    "EndLine": 3,
                    "StartColumn": 10,
                    "Match": f"aws_access_key_id = {aws_key}",
                    "Secret": aws_key,
                    "File": "deploy.sh",
                    "Commit": "0123456789abcdef",
                    "Fingerprint": "0123456789abcdef:deploy.sh:aws-access-token:3",
                    "Link": f"https://example.com/blob/deploy.sh#{aws_key}",
                    "Tags": [],
                }
            ]
        )
    )
    (folder / "gitleaks7.json").write_text(
        json.dumps(
            [
                {
                    "line": f"password: {password}",
                    "lineNumber": 7,
                    "offender": password,
                    "commit": "fedcba9876543210",
                    "rule": "Generic Password",
                    "file": "settings.yaml",
                    "tags": "key",
                }
            ]
        )
    )
    lines = [
        {
            "SourceMetadata": {"Data": {"Git": {"file": "keys", "line": 4, "commit": "abc", "repository": "r"}}},
            "DetectorName": "AWS",
            "Verified": True,
            "Raw": aws_secret,
            "RawV2": aws_key + aws_secret,
            "Redacted": aws_key,
            "ExtraData": {"account": "123456789012"},
        },
        {"level": "info", "msg": f"scanning {slack}"},  # a log line: skipped, never echoed
        {
            "SourceMetadata": {"Data": {"Filesystem": {"file": "id_rsa", "line": 1}}},
            "DetectorName": "PrivateKey",
            "Verified": False,
            "Raw": base64.b64encode(private.encode()).decode(),
            "RawV2": private,
            "Redacted": private[:40],
        },
    ]
    (folder / "trufflehog.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    (folder / "trivy-secrets.json").write_text(
        json.dumps(
            {
                "SchemaVersion": 2,
                "ArtifactName": ".",
                "ArtifactType": "filesystem",
                "Results": [
                    {
                        "Target": "Dockerfile",
                        "Class": "secret",
                        "Secrets": [
                            {
                                "RuleID": "github-pat",
                                "Category": "GitHub",
                                "Severity": "CRITICAL",
                                "Title": "GitHub Personal Access Token",
                                "StartLine": 24,
                                "EndLine": 24,
                                "Match": "ENV GITHUB_PAT=" + "*" * 40,
                                "Code": {
                                    "Lines": [
                                        {"Number": 23, "Content": f"ENV SLACK={slack}", "IsCause": False},
                                        {"Number": 24, "Content": f"ENV GITHUB_PAT={github}", "IsCause": True},
                                    ]
                                },
                            }
                        ],
                    }
                ],
            }
        )
    )
    (folder / "gitleaks.sarif").write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {"driver": {"name": "gitleaks", "rules": [{"id": "github-pat"}]}},
                        "results": [
                            {
                                "ruleId": "github-pat",
                                "message": {"text": f"github-pat has detected secret {github} for file x"},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {"uri": "x"},
                                            "region": {"startLine": 1, "snippet": {"text": github}},
                                        }
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        )
    )
    return folder, [aws_key, aws_secret, github, password, slack, private, private[:40]]


def _run_everything(reports: list[Path], out: Path, capsys: Any, caplog: Any) -> str:
    caplog.set_level(logging.DEBUG)
    status = main(
        [
            "process",
            *(str(report) for report in reports),
            "--env",
            "dev",
            "--config-dir",
            str(REPO_ROOT / "config"),
            "--asff",
            str(out / "a.json"),
            "--sarif",
            str(out / "s.sarif"),
            "--junit",
            str(out / "j.xml"),
        ]
    )
    assert status == 1  # secrets always block, even in dev
    captured = capsys.readouterr()
    texts = [captured.out, captured.err, caplog.text]
    texts += [path.read_text(encoding="utf-8") for path in out.iterdir() if path.is_file()]
    return "\n".join(texts)


def test_no_generated_secret_reaches_any_output_or_log(
    secret_reports: tuple[Path, list[str]], tmp_path: Path, capsys: Any, caplog: Any
) -> None:
    folder, known = secret_reports
    out = tmp_path / "out"
    out.mkdir()
    everything = _run_everything([folder], out, capsys, caplog)
    # The findings themselves are there, only without their secrets.
    assert "Dockerfile" in everything
    assert "deploy.sh" in everything
    for value in known:
        assert value not in everything


def _corpus_secrets(corpus: Path) -> set[str]:
    values: set[str] = set()
    keys = {"Secret", "Match", "offender", "line", "Raw", "RawV2", "Redacted", "Content"}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys and isinstance(value, str) and len(value.strip()) >= 8 and "REDACTED" not in value:
                    values.add(value.strip())
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in [*(corpus / "gitleaks").iterdir(), *(corpus / "trufflehog").iterdir()]:
        text = path.read_text(encoding="utf-8")
        try:
            walk(json.loads(text))
        except json.JSONDecodeError:
            for line in text.splitlines():
                if line.strip():
                    walk(json.loads(line))
    walk(json.loads((corpus / "trivy/secrets.json.golden").read_text()))
    return values


def test_no_corpus_secret_reaches_any_output_or_log(corpus: Path, tmp_path: Path, capsys: Any, caplog: Any) -> None:
    known = _corpus_secrets(corpus)
    assert len(known) > 100
    out = tmp_path / "out"
    out.mkdir()
    reports = [corpus / "gitleaks", corpus / "trufflehog", corpus / "trivy/secrets.json.golden"]
    reports += [corpus / "sarif/gitleaks_7.5.0.sarif", corpus / "sarif/gitleaks-sarif_simple.sarif"]
    everything = _run_everything(reports, out, capsys, caplog)
    leaked = sorted(value for value in known if value in everything)
    assert not leaked, f"{len(leaked)} secret value(s) leaked, e.g. one of length {len(leaked[0])}"
