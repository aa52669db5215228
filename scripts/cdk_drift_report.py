"""Wraps `cdk drift` text output into the JSON document the findings processor reads (parser cdk-drift).

    python3 scripts/cdk_drift_report.py --env ENV --exit-code N DRIFT_OUTPUT.txt > cdk-drift.json

The CDK CLI prints drift only as text; the format of the wrapper is documented in
lambda/findings_processor/parsers/cdk_drift.py. The CLI's exit status is kept, because a drift run
that failed before checking any stack must not read as "no drift".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

FORMAT_VERSION = 1


def wrap(output: str, environment: str, exit_code: int) -> dict[str, object]:
    return {
        "cdk_drift": {
            "format_version": FORMAT_VERSION,
            "environment": environment,
            "exit_code": exit_code,
            "output": output,
        }
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cdk_drift_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="platform environment the drift run checked")
    parser.add_argument("--exit-code", type=int, required=True, help="exit status of `cdk drift`")
    parser.add_argument("output", type=Path, help="the captured text output of `cdk drift`")
    args = parser.parse_args(argv)
    text = args.output.read_text(encoding="utf-8", errors="replace")
    json.dump(wrap(text, args.env, args.exit_code), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
