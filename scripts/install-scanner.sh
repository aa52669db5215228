#!/usr/bin/env bash
# Installs one pinned scanner binary, checksum-verified, into DIR (default: $RUNNER_TEMP/scanner-bin or
# ${TMPDIR:-/tmp}/scanner-bin):
#
#   scripts/install-scanner.sh NAME [DIR]
#
# The pin (version, HTTPS URL, SHA-256, archive layout) comes from delivery/scanners.toml, the one pin
# file the pipeline's buildspecs are generated from too (SCANNER_PINS overrides it). Never `latest`,
# never `curl | sh`: the archive is downloaded to a file, `sha256sum -c` must pass, and only then is it
# unpacked. A pin without a checksum, or a refused release, fails before anything is downloaded.
# An archive already in SCANNER_DOWNLOAD_DIR is verified instead of downloaded again.
# On GitHub Actions DIR is also appended to $GITHUB_PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?usage: scripts/install-scanner.sh NAME [DIR]}"
DEST="${2:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/scanner-bin}"
PINS="${SCANNER_PINS:-$ROOT/delivery/scanners.toml}"
DOWNLOADS="${SCANNER_DOWNLOAD_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/scanner-downloads}"

die() { echo "install-scanner: $*" >&2; exit 1; }

# The pin, validated and printed as shell-safe lines: version, url, sha256, archive, then from/to pairs.
PIN="$(python3 - "$PINS" "$NAME" <<'PY'
import re, sys, tomllib
from pathlib import PurePosixPath

pins, name = sys.argv[1], sys.argv[2]
refused = {"trivy": {"0.69.4", "0.69.5", "0.69.6"}}  # hijacked releases, CVE-2026-33634
with open(pins, "rb") as handle:
    tools = [t for t in tomllib.load(handle).get("tool", []) if t.get("name") == name]
if len(tools) != 1:
    sys.exit(f"{pins}: expected exactly one [[tool]] named {name!r}, found {len(tools)}")
tool = tools[0]
version, url, sha = str(tool["version"]), str(tool["url"]), str(tool.get("sha256", ""))
if not re.fullmatch(r"\d+(\.\d+)*", version):
    sys.exit(f"{pins}: {name} version {version!r} must be an exact release number")
if version in refused.get(name, set()):
    sys.exit(f"{pins}: {name} {version} is refused: published from a hijacked release tag (CVE-2026-33634)")
if not re.fullmatch(r"https://[A-Za-z0-9._~:/%+-]+", url) or version not in url or "latest" in url.lower():
    sys.exit(f"{pins}: {name} url {url!r} must be a plain https:// URL naming version {version}")
if not re.fullmatch(r"[0-9a-f]{64}", sha):
    sys.exit(f"{pins}: no sha256 for {name} {version}; fill it in from {tool.get('checksums_from')} first")
if tool.get("archive") != "tar.gz":
    sys.exit(f"{pins}: {name} archive {tool.get('archive')!r}: only tar.gz binaries are installed here")
print(version, url, sha, sep="\n")
for item in tool["install"]:
    source = str(item["from"])
    if ".." in PurePosixPath(source).parts or not re.fullmatch(r"[A-Za-z0-9._/-]+", source):
        sys.exit(f"{pins}: {name} install source {source!r} must be a plain path inside the archive")
    print(source, PurePosixPath(str(item["to"])).name)
PY
)" || die "refusing to install $NAME (pin file $PINS)"

{ read -r VERSION; read -r URL; read -r SHA256; mapfile -t FILES; } <<< "$PIN"
ARCHIVE="$DOWNLOADS/${URL##*/}"
mkdir -p "$DOWNLOADS" "$DEST"
if [[ ! -f "$ARCHIVE" ]]; then
  curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --retry 3 --output "$ARCHIVE.part" "$URL"
  mv "$ARCHIVE.part" "$ARCHIVE"
fi
echo "$SHA256  $ARCHIVE" | sha256sum --check --strict --quiet - \
  || die "checksum mismatch for $NAME $VERSION ($ARCHIVE); not installed"
UNPACKED="$(mktemp -d)"
trap 'rm -rf "$UNPACKED"' EXIT
tar -xzf "$ARCHIVE" -C "$UNPACKED" --no-same-owner
for line in "${FILES[@]}"; do
  read -r source target <<< "$line"
  install -m 0755 "$UNPACKED/$source" "$DEST/$target"
done
if [[ -n "${GITHUB_PATH:-}" ]]; then
  echo "$DEST" >> "$GITHUB_PATH"
fi
echo "install-scanner: $NAME $VERSION verified and installed into $DEST" >&2
