#!/usr/bin/env bash
# The one scan entry point: the pipeline's scan stage, the CI checks (GitHub Actions, GitLab CI) and
# the local test all run it.
#
#   scripts/security-scan.sh --env ENV --out DIR [--scanners LIST] [--unavailable LIST] [--commits RANGE]
#                            [--image-archive FILE] [--cdk-out DIR] [--scope SCOPE] [--import]
#
# Each scanner writes its native report into DIR/reports/; the findings processor then reads them all,
# writes SARIF, JUnit, ASFF and the Markdown summary into DIR/results/, prints the summary, optionally
# imports into Security Hub, and its exit status is this script's: 0 the gate passes for ENV, 1 it
# blocks, 2 a report or an argument could not be used.
#
# --scanners     comma-separated subset of: bandit,pip-audit,semgrep,checkov,trivy-fs,trivy-config,
#                gitleaks,trivy-image,grype (default: all but the image scanners, which need --image-archive)
# --unavailable  scanners this machine does not have; they are skipped and named in the log. Any other
#                missing scanner is an error: a scan that silently skips a scanner is not a pass.
# --commits      a git range for gitleaks (a pull request's commits, BASE..HEAD); empty or absent: the
#                whole history
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CODE_SCANNERS="bandit,pip-audit,semgrep,checkov,trivy-fs,trivy-config,gitleaks"
ENV_NAME="" OUT="" SCANNERS="" UNAVAILABLE="" IMAGE_ARCHIVE="" CDK_OUT="cdk.out" SCOPE="" IMPORT="" COMMITS=""
SCANNER_BIN="${SCANNER_BIN:-$ROOT/.venv-scanners/bin}"
PYTHON="${PROCESSOR_PYTHON:-$ROOT/.venv/bin/python}"
# Python code scanned by bandit and semgrep: the app, its constructs, the Lambda and the workload.
CODE_TARGETS=(app.py config stacks components compliance delivery lambda scripts service)

usage() { sed -n '2,20p' "$0" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENV_NAME="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --scanners) SCANNERS="$2"; shift 2 ;;
    --unavailable) UNAVAILABLE="$2"; shift 2 ;;
    --image-archive) IMAGE_ARCHIVE="$2"; shift 2 ;;
    --cdk-out) CDK_OUT="$2"; shift 2 ;;
    --scope) SCOPE="$2"; shift 2 ;;
    --commits) COMMITS="${2:-}"; shift 2 ;;
    --import) IMPORT="--import"; shift ;;
    *) echo "security-scan: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n "$ENV_NAME" && -n "$OUT" ]] || usage
SCANNERS="${SCANNERS:-$CODE_SCANNERS}"
[[ -n "$SCOPE" ]] || SCOPE="local/$ENV_NAME"
cd "$ROOT"
mkdir -p "$OUT/reports" "$OUT/results"
REPORTS="$(cd "$OUT/reports" && pwd)"
RESULTS="$(cd "$OUT/results" && pwd)"
# trivy must not read the scan's own output (reports quote code and would be scanned as source).
OUT_DIR="$(cd "$OUT" && pwd)"
TRIVY_SKIP=(--skip-dirs node_modules --skip-dirs .venv --skip-dirs .venv-scanners --skip-dirs "$OUT_DIR")

listed() { [[ ",$2," == *",$1,"* ]]; }
# The command of a scanner: the pinned Python scanners' venv first, then PATH (the pinned binaries).
tool() {
  if [[ -x "$SCANNER_BIN/$1" ]]; then echo "$SCANNER_BIN/$1"; else command -v "$1" || true; fi
}
# A report must exist and be non-empty once its scanner has run; an exit status alone says nothing,
# because most scanners exit non-zero exactly when they find something.
expect_report() {
  if [[ ! -s "$1" ]]; then
    echo "security-scan: $2 produced no report at $1; the scan is incomplete" >&2
    exit 2
  fi
}

run_scanner() {
  local name="$1" binary
  case "$name" in
    trivy-fs|trivy-config|trivy-image) binary=trivy ;;
    *) binary="$name" ;;
  esac
  if listed "$name" "$UNAVAILABLE"; then
    echo "security-scan: $name declared unavailable on this machine: skipped (not a pass in the pipeline)" >&2
    return 0
  fi
  local cmd
  cmd="$(tool "$binary")"
  if [[ -z "$cmd" ]]; then
    echo "security-scan: $name is required but $binary is not installed (declare it with --unavailable to skip)" >&2
    exit 2
  fi
  echo "security-scan: running $name" >&2
  case "$name" in
    bandit)
      "$cmd" -r "${CODE_TARGETS[@]}" -f json -o "$REPORTS/bandit.json" -q || true
      expect_report "$REPORTS/bandit.json" bandit ;;
    pip-audit)
      # --no-deps: the requirement files are fully pinned; --disable-pip: nothing is installed to audit them.
      "$cmd" -r requirements.txt -r service/requirements.txt -f json --progress-spinner off \
        --timeout 15 --no-deps --disable-pip > "$REPORTS/pip-audit.json" || true
      expect_report "$REPORTS/pip-audit.json" pip-audit ;;
    semgrep)
      "$cmd" scan --metrics=off --disable-version-check --config semgrep-rules/ --json \
        --output "$REPORTS/semgrep.json" --quiet "${CODE_TARGETS[@]}" || true
      expect_report "$REPORTS/semgrep.json" semgrep ;;
    checkov)
      [[ -d "$CDK_OUT" ]] || { echo "security-scan: checkov needs the synthesized $CDK_OUT" >&2; exit 2; }
      "$cmd" --directory "$CDK_OUT" --framework cloudformation --skip-path 'asset\.' --output json \
        --skip-download --quiet > "$REPORTS/checkov.json" || true
      expect_report "$REPORTS/checkov.json" checkov ;;
    trivy-fs)
      "$cmd" fs --quiet --scanners vuln,secret --format json --output "$REPORTS/trivy-fs.json" \
        "${TRIVY_SKIP[@]}" --skip-dirs cdk.out . || true
      expect_report "$REPORTS/trivy-fs.json" trivy-fs ;;
    trivy-config)
      "$cmd" config --quiet --format json --output "$REPORTS/trivy-config.json" "${TRIVY_SKIP[@]}" . || true
      expect_report "$REPORTS/trivy-config.json" trivy-config ;;
    trivy-image)
      [[ -s "$IMAGE_ARCHIVE" ]] || { echo "security-scan: trivy-image needs --image-archive" >&2; exit 2; }
      "$cmd" image --quiet --input "$IMAGE_ARCHIVE" --format json --output "$REPORTS/trivy-image.json" || true
      expect_report "$REPORTS/trivy-image.json" trivy-image ;;
    grype)
      [[ -s "$IMAGE_ARCHIVE" ]] || { echo "security-scan: grype needs --image-archive" >&2; exit 2; }
      "$cmd" "docker-archive:$IMAGE_ARCHIVE" --output json --file "$REPORTS/grype.json" --quiet || true
      expect_report "$REPORTS/grype.json" grype ;;
    gitleaks)
      # History, not the checked-out tree: a secret deleted in a later commit is still leaked. The whole
      # history unless --commits names a range (a change's own commits in CI checks).
      local range=()
      [[ -z "$COMMITS" ]] || range=(--log-opts "$COMMITS")
      "$cmd" git --redact --no-banner "${range[@]}" --report-format json --report-path "$REPORTS/gitleaks.json" . \
        || true
      expect_report "$REPORTS/gitleaks.json" gitleaks ;;
    *) echo "security-scan: unknown scanner $name" >&2; exit 2 ;;
  esac
}

IFS=',' read -r -a SELECTED <<< "$SCANNERS"
for scanner in "${SELECTED[@]}"; do
  run_scanner "$scanner"
done
if [[ -z "$(ls -A "$REPORTS")" ]]; then
  echo "security-scan: no scanner ran, so there is nothing to judge" >&2
  exit 2
fi
status=0
PYTHONPATH="$ROOT/lambda" "$PYTHON" -m findings_processor process "$REPORTS" --env "$ENV_NAME" \
  --scope "$SCOPE" --config-dir config --exceptions config/gate-exceptions.toml --strict $IMPORT \
  --asff "$RESULTS/findings.asff.json" --sarif "$RESULTS/findings.sarif" \
  --junit "$RESULTS/findings.junit.xml" --summary "$RESULTS/summary.md" || status=$?
# The exceptions file travels with the reports (after the processor read them): the pipeline's
# per-environment gate reads it from its input artifact.
cp config/gate-exceptions.toml "$REPORTS/gate-exceptions.toml"
# The summary in the log: a blocked gate says why right where the failed build is read.
cat "$RESULTS/summary.md" 2>/dev/null || true
echo "security-scan: gate for $ENV_NAME exited $status (0 pass, 1 blocked, 2 input error)" >&2
exit "$status"
