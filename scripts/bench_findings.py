"""Benchmark: the findings processor on large realistic reports against `json.load` of the same file.

Generates a trivy report (100,000 vulnerabilities), a checkov report (50,000 failed checks) and a
semgrep report (20,000 results) in a temporary folder. For each, in fresh subprocesses, several runs
each: the floor (`json.load` of the file) and the processor (read, parse, normalize, write ASFF and
SARIF, plan BatchImportFindings calls), run in alternation so that load changes on a shared machine
hit both. Prints the medians of wall time and peak RSS, the ratios of the medians,
and the calls the import would make (must be ceil(findings / 100)); beside them, a stricter floor:
`json.load` with the garbage collector paused, as the processor pauses it. Then the handler
module's import time from `python -X importtime`. Targets: time <= 3x floor, peak memory <= 1.5x
floor's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
REPORTS = ("trivy", "checkov", "semgrep")
TIME_TARGET = 3.0
MEMORY_TARGET = 1.5
IMPORT_TARGET_MS = 100.0

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) parent process.
_PEAK = """
def peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")
"""

# The floor; with "paused", json.load with the garbage collector paused, as the processor pauses it
# (reported beside the targets' floor, not instead of it: it is the stricter reference).
_FLOOR = (
    _PEAK
    + """
import gc, json, sys, time
if sys.argv[2:] == ["paused"]:
    gc.disable()
start = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as handle:
    doc = json.load(handle)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_kib": peak_kib()}))
"""
)

# The processor as the command line runs it: the same reading, parsing and de-duplication
# (pipeline.process) and the same functions writing the ASFF and SARIF files (outputs.write_asff,
# outputs.write_sarif), with the garbage collector paused for the whole run as the command line
# pauses it. The calls are planned from the sizes of the ASFF records just written. Timed, like
# the floor, from after its imports: the work on the report, not the loading of the code, which
# is measured on its own (the handler's import time, last).
_PROCESSOR = (
    _PEAK
    + """
import json, sys, time
from pathlib import Path
from findings_processor.batches import plan_batches
from findings_processor.collector import paused
from findings_processor.outputs import write_asff, write_sarif
from findings_processor.pipeline import file_sources, process
from findings_processor.writers.asff import Target

path, out = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
with paused():
    result = process(file_sources([path]))
    target = Target("123456789012", "eu-central-1", "bench/main")
    sizes = write_asff(result.findings, target, out / "findings.asff.json")
    write_sarif(result.findings, out / "findings.sarif")
    calls = sum(1 for _ in plan_batches(("", None, size) for size in sizes))
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_kib": peak_kib(), "findings": len(result.findings), "calls": calls}))
"""
)

_WORDS = ("buffer", "overflow", "allows", "remote", "attackers", "to", "execute", "arbitrary", "code", "via", "input")


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def trivy_report(count: int, rng: random.Random) -> dict[str, Any]:
    results = []
    per_target = 2_000
    for target_number in range(math.ceil(count / per_target)):
        vulns = []
        for n in range(min(per_target, count - target_number * per_target)):
            cve = f"CVE-20{rng.randint(10, 25)}-{rng.randint(1000, 99999)}"
            package = f"package-{target_number}-{n % 400}"
            score = round(rng.uniform(0.1, 10.0), 1)
            vulns.append(
                {
                    "VulnerabilityID": cve,
                    "PkgID": f"{package}@1.{n}.0",
                    "PkgName": package,
                    "PkgIdentifier": {"PURL": f"pkg:pypi/{package}@1.{n}.0", "UID": f"{rng.getrandbits(64):016x}"},
                    "InstalledVersion": f"1.{n}.0",
                    "FixedVersion": f"1.{n}.1",
                    "Status": "fixed",
                    "Layer": {
                        "Digest": f"sha256:{rng.getrandbits(256):064x}",
                        "DiffID": f"sha256:{rng.getrandbits(256):064x}",
                    },
                    "SeveritySource": "nvd",
                    "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve.lower()}",
                    "DataSource": {
                        "ID": "ghsa",
                        "Name": "GitHub Security Advisory pip",
                        "URL": "https://github.com/advisories",
                    },
                    "Title": _text(rng, 10),
                    "Description": _text(rng, 70),
                    "Severity": rng.choice(["LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"]),
                    "CweIDs": [f"CWE-{rng.randint(20, 1000)}"],
                    "VendorSeverity": {"ghsa": rng.randint(1, 4), "nvd": rng.randint(1, 4)},
                    "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": score}},
                    "References": [f"https://example.com/advisories/{cve}/{k}" for k in range(6)],
                    "PublishedDate": "2023-03-01T00:15:00Z",
                    "LastModifiedDate": "2024-11-21T07:38:00Z",
                }
            )
        results.append(
            {
                "Target": f"app/requirements-{target_number}.txt",
                "Class": "lang-pkgs",
                "Type": "pip",
                "Vulnerabilities": vulns,
            }
        )
    return {"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem", "Results": results}


def checkov_report(count: int, rng: random.Random) -> dict[str, Any]:
    # A failed check's name is its check's, as in the real reports of ../shared/corpus/checkov.
    check_names = [_text(rng, 9) for _ in range(400)]
    failed = []
    for n in range(count):
        start = rng.randint(1, 5000)
        check = rng.randint(1, 400)
        failed.append(
            {
                "check_id": f"CKV_AWS_{check}",
                "bc_check_id": f"BC_AWS_GENERAL_{rng.randint(1, 200)}",
                "check_name": check_names[check - 1],
                "check_result": {"result": "FAILED", "evaluated_keys": ["Properties/Encrypted"]},
                "code_block": [[start + k, f"      Property{k}: value{k}\n"] for k in range(6)],
                "file_path": f"/cdk.out/Stack{n % 50}.template.json",
                "file_abs_path": f"/build/cdk.out/Stack{n % 50}.template.json",
                "repo_file_path": f"/cdk.out/Stack{n % 50}.template.json",
                "file_line_range": [start, start + 5],
                "resource": f"AWS::S3::Bucket.Resource{n}",
                "evaluations": None,
                "check_class": "checkov.cloudformation.checks.resource.aws.S3Encryption",
                "fixed_definition": None,
                "entity_tags": None,
                "caller_file_path": None,
                "caller_file_line_range": None,
                "resource_address": None,
                "severity": None,
                "bc_category": None,
                "benchmarks": None,
                "description": None,
                "short_description": None,
                "vulnerability_details": None,
                "connected_node": None,
                "guideline": f"https://docs.prismacloud.io/en/policy-reference/aws-policies/{n % 300}",
                "details": [],
                "check_len": None,
                "definition_context_file_path": f"/cdk.out/Stack{n % 50}.template.json",
            }
        )
    return {
        "check_type": "cloudformation",
        "results": {"passed_checks": [], "failed_checks": failed, "skipped_checks": [], "parsing_errors": []},
        "summary": {"passed": 0, "failed": count, "skipped": 0, "parsing_errors": 0, "resource_count": count},
    }


def semgrep_report(count: int, rng: random.Random) -> dict[str, Any]:
    # A result's message is its rule's, as in the real reports of ../shared/corpus/semgrep (194
    # results carry 14 distinct messages in one, 36 carry 7 in another); some rules interpolate a
    # metavariable, here the function the match is in, as the corpus's docker-compose rules name
    # the service.
    rule_messages = [_text(rng, 30) for _ in range(60)]
    results = []
    for n in range(count):
        line = rng.randint(1, 3000)
        rule = n % 60
        message = rule_messages[rule]
        if rule % 5 == 0:
            message = f"Function 'handler_{n % 37}' {message}"
        results.append(
            {
                "check_id": f"python.lang.security.audit.rule-{rule}",
                "path": f"src/package_{n % 200}/module_{n % 37}.py",
                "start": {"line": line, "col": 5, "offset": line * 40},
                "end": {"line": line + 1, "col": 30, "offset": line * 40 + 70},
                "extra": {
                    "message": message,
                    "metadata": {
                        "cwe": ["CWE-78: Improper Neutralization of Special Elements used in an OS Command"],
                        "owasp": ["A03:2021 - Injection"],
                        "references": ["https://docs.python.org/3/library/subprocess.html"],
                        "category": "security",
                        "confidence": "MEDIUM",
                        "likelihood": "LOW",
                        "impact": "HIGH",
                        "source": f"https://semgrep.dev/r/rule-{rule}",
                        "shortlink": f"https://sg.run/{rule}",
                    },
                    "severity": rng.choice(["INFO", "WARNING", "ERROR"]),
                    "fingerprint": f"{rng.getrandbits(256):064x}_{n % 3}",
                    "lines": f"    subprocess.run(command_{n}, shell=True)",
                    "is_ignored": False,
                    "validation_state": "NO_VALIDATOR",
                    "engine_kind": "OSS",
                },
            }
        )
    return {"version": "1.185.0", "results": results, "errors": [], "paths": {"scanned": []}, "skipped_rules": []}


def _measure(code: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "lambda"))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _import_ms(module: str) -> float:
    """Cumulative import time of `module` in a fresh interpreter, in milliseconds."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "lambda"))
    runs = []
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        for line in done.stderr.splitlines():
            parts = [part.strip() for part in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                runs.append(int(parts[1]) / 1000)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="floor/processor pairs per report (medians reported)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full report sizes")
    parser.add_argument("--report", action="append", choices=REPORTS, help="only this report (repeatable)")
    args = parser.parse_args()
    rng = random.Random(20300101)  # noqa: S311 - test data, fixed seed: the same reports every time
    reports = {
        "trivy": (trivy_report, 100_000),
        "checkov": (checkov_report, 50_000),
        "semgrep": (semgrep_report, 20_000),
    }
    failures = []
    with tempfile.TemporaryDirectory(prefix="bench-findings-") as workdir:
        folder = Path(workdir)
        print(
            f"{'report':8} {'size':>8} {'findings':>9} {'load s':>7} {'proc s':>7} {'ratio':>6} "
            f"{'load MiB':>9} {'proc MiB':>9} {'ratio':>6} {'calls':>6} {'expected':>8} {'load* s':>8} {'ratio*':>6}"
        )
        for name, (build, full_count) in reports.items():
            count = max(1, int(full_count * args.scale))
            if args.report and name not in args.report:
                build(count, rng)  # still drawn: the other reports stay the same as in a full run
                continue
            path = folder / f"{name}.json"
            with path.open("w", encoding="utf-8") as handle:
                json.dump(build(count, rng), handle)
                handle.write("\n")  # as scanners print their reports
            floors, strict_floors, runs = [], [], []
            for _ in range(args.runs):
                # Interleaved (floor, processor, floor, ...): a change in machine load hits both sides.
                floors.append(_measure(_FLOOR, str(path)))
                strict_floors.append(_measure(_FLOOR, str(path), "paused"))
                # Each run writes into a new folder, as a scan stage does: overwriting the previous
                # run's outputs would time their deletion (truncating 250 MB of files), not the run.
                out = folder / f"{name}-out"
                out.mkdir()
                runs.append(_measure(_PROCESSOR, str(path), str(out)))
                shutil.rmtree(out)
            load_s = statistics.median(r["seconds"] for r in floors)
            strict_s = statistics.median(r["seconds"] for r in strict_floors)
            proc_s = statistics.median(r["seconds"] for r in runs)
            load_mib = statistics.median(r["peak_kib"] for r in floors) / 1024
            proc_mib = statistics.median(r["peak_kib"] for r in runs) / 1024
            findings, calls = runs[0]["findings"], runs[0]["calls"]
            expected = math.ceil(findings / 100)
            print(
                f"{name:8} {path.stat().st_size / 2**20:6.0f}MB {findings:9d} {load_s:7.2f} {proc_s:7.2f} "
                f"{proc_s / load_s:5.2f}x {load_mib:9.0f} {proc_mib:9.0f} {proc_mib / load_mib:5.2f}x "
                f"{calls:6d} {expected:8d} {strict_s:8.2f} {proc_s / strict_s:5.2f}x"
            )
            if proc_s / load_s > TIME_TARGET:
                failures.append(f"{name}: time {proc_s / load_s:.2f}x > {TIME_TARGET}x")
            if proc_mib / load_mib > MEMORY_TARGET:
                failures.append(f"{name}: memory {proc_mib / load_mib:.2f}x > {MEMORY_TARGET}x")
            if findings != count or calls != expected:
                failures.append(f"{name}: {findings} findings of {count}, {calls} calls, expected {expected}")
            path.unlink()
    print("* json.load with the garbage collector paused, as the processor pauses it (the targets use plain json.load)")
    handler_ms = _import_ms("findings_processor.handler")
    boto3_ms = _import_ms("boto3")
    print(f"import findings_processor.handler: {handler_ms:.1f} ms (boto3 is lazy; alone it takes {boto3_ms:.1f} ms)")
    if handler_ms > IMPORT_TARGET_MS:
        failures.append(f"handler import {handler_ms:.1f} ms > {IMPORT_TARGET_MS} ms")
    for failure in failures:
        print(f"TARGET MISSED: {failure}")
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
