"""The app's process ends right after the exit handlers registered after it (jsii's), skipping teardown."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import atexit
from stacks.fast_exit import exit_after_jsii_stops

atexit.register(lambda: print("kernel stopped", flush=True))  # as jsii's, registered after the module's


class TornDown:
    def __del__(self):
        print("torn down", flush=True)


kept_until_teardown = TornDown()
print("built", end="\\n", flush=False)  # left in the buffer: the exit must flush it
{ending}
"""


def _run(ending: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT.format(ending=ending))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_armed_exit_keeps_the_code_runs_later_handlers_flushes_and_skips_teardown() -> None:
    done = _run("exit_after_jsii_stops(3)")
    assert done.returncode == 3
    assert done.stdout.splitlines() == ["built", "kernel stopped"]


def test_without_arming_the_interpreter_exits_as_usual() -> None:
    done = _run("")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["built", "kernel stopped", "torn down"]
