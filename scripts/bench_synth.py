"""Benchmark: wall time of `cdk synth` for the whole app against a floor (an app with one empty stack).

Both run through the same pinned CDK CLI, Node.js and Python in the same process of measurement,
alternating, several times each; the medians and their ratio are printed. Target: whole app <= 3x floor.
Run it through `make bench-synth`, which puts the pinned Node.js first on PATH.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
# The floor runs the way app.py runs: its kernel is set up the same way (stacks/kernel_setup.py: the
# engine's memory setting, in-process, the warm-up), it imports without cyclic garbage collection
# (stacks/imports_uncollected.py), it builds with this thread and jsii's on one CPU
# (stacks/kernel_affinity.py) and exits without interpreter teardown (stacks/fast_exit.py). It starts
# no template validation worker (stacks/validation_worker.py): its one empty template leaves the worker
# nothing to validate while it builds, so a worker could only add a process's start to the floor.
FLOOR_APP = f"""
import sys
from pathlib import Path

sys.path.insert(0, {str(REPO_ROOT)!r})
from stacks.fast_exit import exit_after_jsii_stops
from stacks.imports_uncollected import imports_uncollected
from stacks.kernel_setup import prepare_jsii_kernel

warm_up = prepare_jsii_kernel(Path(__file__))

with imports_uncollected():
    import aws_cdk as cdk

    if warm_up is not None:
        warm_up.import_host_modules()

    from stacks.kernel_affinity import colocated_with_jsii_kernel

app = cdk.App()
with colocated_with_jsii_kernel():
    stack = cdk.Stack(app, "Empty")
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(id="CloudFormation-Validate::F0001", reason="the floor is an empty stack by definition")
    )
app.synth()
if warm_up is not None:
    warm_up.record_host_modules()
exit_after_jsii_stops(0)
"""
TARGET_RATIO = 3.0


def floor_app_command() -> str:
    """The floor's app runs as ours does: cdk.json's interpreter and its flags (`-O`), on the floor's app.py."""
    interpreter, *flags, script = json.loads((REPO_ROOT / "cdk.json").read_text())["app"].split()
    if script != "app.py":
        raise SystemExit(f"cdk.json's app command no longer ends in app.py: {script!r}; update the floor")
    return " ".join([str(REPO_ROOT / interpreter), *flags, "app.py"])


def synth_seconds(app_dir: Path, outdir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(CDK), "synth", "--quiet", "--no-notices", "--no-version-reporting", "--ci", "--output", str(outdir)],
        cwd=app_dir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # Eleven: on a shared 2-CPU machine one synth varies by ±20% from run to run, and the medians of
    # five pairs moved the ratio by more than the changes being measured.
    parser.add_argument("--runs", type=int, default=11, help="runs of each app (default: 11)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as scratch:
        floor_dir = Path(scratch) / "floor"
        floor_dir.mkdir()
        (floor_dir / "app.py").write_text(FLOOR_APP)
        (floor_dir / "cdk.json").write_text(json.dumps({"app": floor_app_command()}))
        whole, floor = [], []
        for run in range(args.runs):
            floor.append(synth_seconds(floor_dir, Path(scratch) / f"floor-out-{run}"))
            whole.append(synth_seconds(REPO_ROOT, Path(scratch) / f"whole-out-{run}"))
            print(f"run {run + 1}/{args.runs}: whole app {whole[-1]:.2f} s, floor {floor[-1]:.2f} s", flush=True)
    whole_median, floor_median = statistics.median(whole), statistics.median(floor)
    ratio = whole_median / floor_median
    print(f"whole app median: {whole_median:.2f} s over {args.runs} runs")
    print(f"floor (one empty stack) median: {floor_median:.2f} s over {args.runs} runs")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"ratio: {ratio:.2f}x ({verdict} the target of <= {TARGET_RATIO:.0f}x)")
    # Each pair ran back to back under the same machine load; the spread of the pair ratios shows how
    # much of the figure above is noise.
    pairs = sorted(w / f for w, f in zip(whole, floor, strict=True))
    print(f"per-pair ratios: median {statistics.median(pairs):.2f}x, range {pairs[0]:.2f}x-{pairs[-1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
