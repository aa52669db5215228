"""scripts/install-scanner.sh: pinned, checksum-verified, and refusing what it cannot verify."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import tomllib
from pathlib import Path

import pytest

from tests.ci.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "install-scanner.sh"
PINS = REPO_ROOT / "delivery" / "scanners.toml"


def _archive(path: Path, content: bytes) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("gitleaks")
        info.size, info.mode = len(content), 0o755
        tar.addfile(info, io.BytesIO(content))
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _pins(tmp_path: Path, *, version: str = "8.28.0", sha256: str = "", name: str = "gitleaks") -> Path:
    pins = tmp_path / "pins.toml"
    pins.write_text(
        f'[[tool]]\nname = "{name}"\nversion = "{version}"\n'
        f'url = "https://example.invalid/v{version}/{name}_{version}_linux_x64.tar.gz"\nsha256 = "{sha256}"\n'
        f'checksums_from = "the vendor checksums file"\narchive = "tar.gz"\n'
        f'install = [{{ from = "gitleaks", to = "/usr/local/bin/{name}" }}]\n'
    )
    return pins


def _run(tmp_path: Path, pins: Path, name: str = "gitleaks") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SCANNER_PINS": str(pins),
        "SCANNER_DOWNLOAD_DIR": str(tmp_path / "downloads"),
        "GITHUB_PATH": "",
    }
    return subprocess.run(
        [str(SCRIPT), name, str(tmp_path / "bin")], capture_output=True, text=True, check=False, env=env
    )


def test_a_verified_archive_is_installed(tmp_path: Path) -> None:
    # Given an archive already downloaded whose SHA-256 matches the pin / Then its binary is installed
    (tmp_path / "downloads").mkdir()
    digest = _archive(tmp_path / "downloads" / "gitleaks_8.28.0_linux_x64.tar.gz", b"#!/bin/sh\necho pinned\n")
    result = _run(tmp_path, _pins(tmp_path, sha256=digest))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bin" / "gitleaks").read_bytes() == b"#!/bin/sh\necho pinned\n"


def test_a_tampered_archive_is_refused(tmp_path: Path) -> None:
    (tmp_path / "downloads").mkdir()
    digest = _archive(tmp_path / "downloads" / "gitleaks_8.28.0_linux_x64.tar.gz", b"original")
    _archive(tmp_path / "downloads" / "gitleaks_8.28.0_linux_x64.tar.gz", b"tampered")
    result = _run(tmp_path, _pins(tmp_path, sha256=digest))
    assert result.returncode != 0
    assert "checksum mismatch" in result.stderr
    assert not (tmp_path / "bin" / "gitleaks").exists()


def test_a_missing_checksum_fails_before_any_download(tmp_path: Path) -> None:
    result = _run(tmp_path, _pins(tmp_path, sha256=""))
    assert result.returncode != 0
    assert "no sha256 for gitleaks 8.28.0" in result.stderr
    assert not (tmp_path / "downloads").exists()


@pytest.mark.parametrize("version", ["0.69.4", "0.69.5", "0.69.6"])
def test_hijacked_trivy_releases_are_refused(tmp_path: Path, version: str) -> None:
    result = _run(tmp_path, _pins(tmp_path, name="trivy", version=version, sha256="0" * 64), name="trivy")
    assert result.returncode != 0
    assert "CVE-2026-33634" in result.stderr


def test_shipped_pins_are_exact_https_releases_never_latest() -> None:
    tools = {tool["name"]: tool for tool in tomllib.loads(PINS.read_text())["tool"]}
    # What the CI checks install with this script; the pipeline's other tools live in the same file.
    assert {"gitleaks", "trivy"} <= set(tools)
    for tool in tools.values():
        assert tool["url"].startswith("https://")
        assert tool["archive"] == "file" or tool["version"] in tool["url"]
        assert "latest" not in tool["url"]
        assert tool["sha256"] == "" or len(tool["sha256"]) == 64
    assert tools["trivy"]["version"] not in {"0.69.4", "0.69.5", "0.69.6"}


def test_one_pin_file_and_one_scan_entry_point() -> None:
    # The CI checks and the pipeline read the same pins and run the same scan script.
    assert not (REPO_ROOT / "ci" / "scanners.toml").exists()
    assert not (REPO_ROOT / "scripts" / "ci-scan.sh").exists()
    assert 'PINS="${SCANNER_PINS:-$ROOT/delivery/scanners.toml}"' in SCRIPT.read_text()


def test_the_ci_scanners_are_pinned_with_a_published_checksum() -> None:
    tools = {tool["name"]: tool for tool in tomllib.loads(PINS.read_text())["tool"]}
    for name in ("trivy", "gitleaks", "grype"):
        assert len(tools[name]["sha256"]) == 64, name
        assert tools[name]["version"] in tools[name]["url"], name


def test_a_pin_without_checksum_is_refused_before_any_download(tmp_path: Path) -> None:
    # Given the shipped pins with gitleaks' checksum removed
    pins = PINS.read_text()
    gitleaks = {tool["name"]: tool for tool in tomllib.loads(pins)["tool"]}["gitleaks"]
    unpinned = tmp_path / "scanners.toml"
    unpinned.write_text(pins.replace(f'sha256 = "{gitleaks["sha256"]}"', 'sha256 = ""', 1))
    env = {
        **os.environ,
        "SCANNER_PINS": str(unpinned),
        "SCANNER_DOWNLOAD_DIR": str(tmp_path / "downloads"),
        "GITHUB_PATH": "",
    }

    # When gitleaks is installed
    result = subprocess.run(
        [str(SCRIPT), "gitleaks", str(tmp_path / "bin")], capture_output=True, text=True, check=False, env=env
    )

    # Then it is refused, naming the tool and the pin file, and nothing was downloaded
    assert result.returncode != 0
    assert f"no sha256 for gitleaks {gitleaks['version']}" in result.stderr
    assert str(unpinned) in result.stderr or "scanners.toml" in result.stderr
    assert not (tmp_path / "downloads").exists()
