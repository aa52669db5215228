"""Container health check: `python -m polls.healthcheck` exits 0 when /healthz answers 200.

Slim images have no curl; the interpreter is already there. Liveness only (no database), so a
database outage does not make ECS replace every task.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 3  # seconds; inside the task definition's health-check timeout


def main() -> int:
    port = os.environ.get("PORT", "8080").strip() or "8080"
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"health check failed: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
