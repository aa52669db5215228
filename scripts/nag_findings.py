"""Groups the findings of a refused synth by construct path (without the stage) and finding id.

Reads the synth log (stdin) and prints one line per (path, finding id) with the stages it appeared
in, a quick way to review what a change added before deciding to fix or acknowledge it.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict


def main() -> int:
    lines = sys.stdin.read().splitlines()
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for index, line in enumerate(lines):
        if not re.match(r"^(ERROR|WARNING) ", line) or index + 2 >= len(lines):
            continue
        path = lines[index + 1].strip().split(" ")[0]
        finding = lines[index + 2].strip().removeprefix("Acknowledge with ").strip("'")
        stage, _, rest = path.partition("/")
        grouped[(rest or stage, finding)].add(stage)
    for (path, finding), stages in sorted(grouped.items()):
        print(f"{path}  {finding}  {sorted(stages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
