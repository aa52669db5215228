"""Pinned tools of the pipeline (`scanners.toml`) and the checksum-verified commands that install them.

Buildspecs never spell a download themselves: they take `install_commands(...)`, so a version or a
checksum changes in one data file, and a tool without a checksum fails the build instead of being
installed unverified.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TOOLS_FILE = Path(__file__).resolve().parent / "scanners.toml"
SCAN_LOCK_FILE = "delivery/requirements-scan.lock"
# Released from hijacked tags with a credential stealer inside (CVE-2026-33634): never install these.
REFUSED_VERSIONS: dict[str, frozenset[str]] = {"trivy": frozenset({"0.69.4", "0.69.5", "0.69.6"})}
DOWNLOAD_DIR = "/tmp/pinned-tools"  # noqa: S108 - CodeBuild's throw-away container, not a shared host

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^\d+(\.\d+)*(-[0-9A-Za-z.]+)?$")
_ARCHIVES = ("tar.gz", "zip", "file")
_KEYS = {"name", "version", "url", "sha256", "checksums_from", "archive", "install"}


class ToolsFileError(ValueError):
    pass


@dataclass(frozen=True)
class InstalledFile:
    source: str  # path inside the archive (or the downloaded file's name)
    destination: str


@dataclass(frozen=True)
class Tool:
    name: str
    version: str
    url: str
    sha256: str | None  # None: not filled in yet; the install command then fails the build
    checksums_from: str
    archive: str
    files: tuple[InstalledFile, ...]

    @property
    def download_path(self) -> str:
        return f"{DOWNLOAD_DIR}/{PurePosixPath(self.url).name}"


def load_tools(path: Path = TOOLS_FILE) -> dict[str, Tool]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    tools: dict[str, Tool] = {}
    for index, entry in enumerate(raw.get("tool", []), start=1):
        tool = _parse(entry, f"{path.name}: tool #{index}")
        if tool.name in tools:
            raise ToolsFileError(f"{path.name}: tool {tool.name!r} is listed twice")
        tools[tool.name] = tool
    return tools


def _parse(entry: dict[str, object], where: str) -> Tool:
    if set(entry) != _KEYS:
        raise ToolsFileError(f"{where}: keys must be exactly {sorted(_KEYS)}, got {sorted(entry)}")
    name, version, url = str(entry["name"]), str(entry["version"]), str(entry["url"])
    sha256, archive = str(entry["sha256"]), str(entry["archive"])
    if not _VERSION.match(version) or version.lower() in ("latest", "stable"):
        raise ToolsFileError(f"{where} ({name}): version {version!r} must be an exact release number")
    if version in REFUSED_VERSIONS.get(name, frozenset()):
        raise ToolsFileError(
            f"{where} ({name}): version {version} is refused: it was published from a hijacked release "
            "(CVE-2026-33634); pin a release outside 0.69.4-0.69.6"
        )
    if not url.startswith("https://") or any(c in url for c in " '\"$`\\"):
        raise ToolsFileError(f"{where} ({name}): url {url!r} must be a plain https:// URL")
    # A single file (a certificate) has no versioned URL: its sha256 alone pins it, and a changed file fails.
    if (archive != "file" and version not in url) or "latest" in url.lower():
        raise ToolsFileError(f"{where} ({name}): url {url!r} must name version {version} and no moving alias")
    if sha256 and not _SHA256.match(sha256):
        raise ToolsFileError(f"{where} ({name}): sha256 {sha256!r} must be 64 lower-case hex digits, or empty")
    if archive not in _ARCHIVES:
        raise ToolsFileError(f"{where} ({name}): archive {archive!r} must be one of {', '.join(_ARCHIVES)}")
    install = entry["install"]
    if not isinstance(install, list) or not install:
        raise ToolsFileError(f"{where} ({name}): install must list {{from, to}} tables")
    files = []
    for item in install:
        if not isinstance(item, dict) or set(item) != {"from", "to"}:
            raise ToolsFileError(f"{where} ({name}): each install entry must be {{from = ..., to = ...}}")
        source, destination = str(item["from"]), str(item["to"])
        if ".." in PurePosixPath(source).parts or not destination.startswith("/"):
            raise ToolsFileError(f"{where} ({name}): install {source!r} -> {destination!r} must stay in place")
        files.append(InstalledFile(source=source, destination=destination))
    return Tool(
        name=name,
        version=version,
        url=url,
        sha256=sha256 or None,
        checksums_from=str(entry["checksums_from"]),
        archive=archive,
        files=tuple(files),
    )


def install_commands(tools: dict[str, Tool], names: tuple[str, ...]) -> list[str]:
    """Shell commands that download, verify and install `names`, in order, or fail the build."""
    unknown = [name for name in names if name not in tools]
    if unknown:
        raise ToolsFileError(f"no such tool in {TOOLS_FILE.name}: {', '.join(unknown)}; known: {', '.join(tools)}")
    commands = [f"mkdir -p {DOWNLOAD_DIR}"]
    for name in names:
        commands.extend(_install(tools[name]))
    return commands


def _install(tool: Tool) -> list[str]:
    if tool.sha256 is None:
        message = (
            f"{TOOLS_FILE.name}: no sha256 for {tool.name} {tool.version}; fill it in from {tool.checksums_from} "
            "before this build may install it"
        )
        # A missing checksum is a failed build, never an unverified install.
        return [f"echo {shlex.quote(message)} >&2; exit 1"]
    archive = tool.download_path
    commands = [
        f"curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --output {archive} {tool.url}",
        f'echo "{tool.sha256}  {archive}" | sha256sum -c -',
    ]
    unpacked = f"{DOWNLOAD_DIR}/{tool.name}"
    if tool.archive == "tar.gz":
        commands.append(f"mkdir -p {unpacked} && tar -xzf {archive} -C {unpacked}")
    elif tool.archive == "zip":
        commands.append(f"mkdir -p {unpacked} && unzip -q -o {archive} -d {unpacked}")
    else:
        commands.append(f"mkdir -p {unpacked} && cp {archive} {unpacked}/")
    for item in tool.files:
        commands.append(f"install -D -m 0755 {unpacked}/{item.source} {item.destination}")
    return commands


def python_scanners_install_command(python: str = "python3") -> str:
    """The Python scanners, every wheel's SHA-256 pinned in the lock file, in their own virtual environment."""
    return (
        f"{python} -m venv .venv-scanners && .venv-scanners/bin/pip install --quiet --disable-pip-version-check "
        f"--require-hashes --no-deps -r {SCAN_LOCK_FILE}"
    )
