#!/usr/bin/env bash
# The scanners of a CI check run (GitHub Actions and GitLab CI), then the findings processor's gate:
#
#   scripts/ci-scan.sh --env ENV --out DIR [--commits RANGE] [--scope SCOPE]
#
# Expects `make synth` to have filled cdk.out/ and `make setup` to have built .venv-scanners; gitleaks
# and trivy come from PATH (scripts/install-scanner.sh). Each scanner writes its native report into
# DIR/reports/; the processor writes DIR/results/{findings.sarif,findings.junit.xml,findings.asff.json,
# summary.md} and its exit status is this script's: 0 the gate passes for ENV, 1 it blocks, 2 a report
# or an argument could not be used. --commits limits gitleaks to a git range (a pull request's commits,
# BASE..HEAD); without it gitleaks reads the whole history.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_NAME="" OUT="" COMMITS="" SCOPE=""
SCANNER_BIN="$ROOT/.venv-scanners/bin"
# Python sources that bandit and semgrep read: the app, its constructs, the Lambda and the workload.
CODE_TARGETS=(app.py config stacks components compliance lambda scripts service)

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENV_NAME="${2:-}"; shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    --commits) COMMITS="${2:-}"; shift 2 ;;
    --scope) SCOPE="${2:-}"; shift 2 ;;
    *) echo "ci-scan: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n "$ENV_NAME" && -n "$OUT" ]] || usage
cd "$ROOT"
mkdir -p "$OUT/reports" "$OUT/results"
REPORTS="$(cd "$OUT/reports" && pwd)"
RESULTS="$(cd "$OUT/results" && pwd)"

# Most scanners exit non-zero exactly when they find something, so the report, not the exit status,
# says whether a scanner did its job: a missing or empty report stops the run.
expect_report() {
  [[ -s "$1" ]] || { echo "ci-scan: $2 produced no report at $1; the scan is incomplete" >&2; exit 2; }
}
need() {
  command -v "$1" >/dev/null || { echo "ci-scan: $1 is not installed (scripts/install-scanner.sh $1)" >&2; exit 2; }
}
[[ -d cdk.out ]] || { echo "ci-scan: run make synth first: checkov reads cdk.out/" >&2; exit 2; }
need gitleaks
need trivy

"$SCANNER_BIN/bandit" -r "${CODE_TARGETS[@]}" -f json -o "$REPORTS/bandit.json" -q || true
expect_report "$REPORTS/bandit.json" bandit

# --no-deps: the requirement files are fully pinned; --disable-pip: nothing is installed to audit them.
"$SCANNER_BIN/pip-audit" -r requirements.txt -r service/requirements.txt -f json --progress-spinner off \
  --no-deps --disable-pip >"$REPORTS/pip-audit.json" || true
expect_report "$REPORTS/pip-audit.json" pip-audit

"$SCANNER_BIN/semgrep" scan --metrics=off --disable-version-check --config semgrep-rules/ --json \
  --output "$REPORTS/semgrep.json" --quiet "${CODE_TARGETS[@]}" || true
expect_report "$REPORTS/semgrep.json" semgrep

"$SCANNER_BIN/checkov" --directory cdk.out --framework cloudformation --skip-path 'asset\.' --output json \
  --skip-download --quiet >"$REPORTS/checkov.json" || true
expect_report "$REPORTS/checkov.json" checkov

# History, not the working tree: a secret removed by a later commit is still leaked.
gitleaks_range=()
[[ -z "$COMMITS" ]] || gitleaks_range=(--log-opts "$COMMITS")
gitleaks git --redact --no-banner "${gitleaks_range[@]}" --report-format json \
  --report-path "$REPORTS/gitleaks.json" . || true
expect_report "$REPORTS/gitleaks.json" gitleaks

skip=(--skip-dirs node_modules --skip-dirs .venv --skip-dirs .venv-scanners --skip-dirs cdk.out --skip-dirs "$OUT")
trivy fs --quiet --scanners vuln,secret --format json --output "$REPORTS/trivy-fs.json" "${skip[@]}" . || true
expect_report "$REPORTS/trivy-fs.json" trivy-fs
trivy config --quiet --format json --output "$REPORTS/trivy-config.json" "${skip[@]}" . || true
expect_report "$REPORTS/trivy-config.json" trivy-config

status=0
PYTHONPATH="$ROOT/lambda" "$ROOT/.venv/bin/python" -m findings_processor process "$REPORTS" \
  --env "$ENV_NAME" --scope "${SCOPE:-local/$ENV_NAME}" --config-dir config --strict \
  --asff "$RESULTS/findings.asff.json" --sarif "$RESULTS/findings.sarif" \
  --junit "$RESULTS/findings.junit.xml" --summary "$RESULTS/summary.md" || status=$?
echo "ci-scan: gate for $ENV_NAME exited $status (0 pass, 1 blocked, 2 input error)" >&2
exit "$status"
