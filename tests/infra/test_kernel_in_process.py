"""jsii's kernel runs in the process jsii starts, without the relay (stacks/kernel_in_process.py)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aws_cdk as cdk
import pytest

from stacks.kernel_affinity import child_processes
from stacks.kernel_in_process import ENTRY_POINT, _embedded, kernel_program, run_kernel_in_process
from tests.conftest import REPO_ROOT

# Stands in for jsii's kernel program: talks on the kernel's channel (descriptor 3) and prints.
FAKE_KERNEL = """
const fs = require("fs");
process.stdin.on("data", () => {});  // code that reads stdin must not take the channel's requests
console.log("to stdout");
console.error("to stderr");
fs.writeSync(2, "straight to descriptor 2\\n");
console.error("x".repeat(300000));  // more than a pipe holds before the host reads it
const buffer = Buffer.alloc(64);
const read = fs.readSync(3, buffer, 0, buffer.length, null);
fs.writeSync(3, "answer to " + buffer.subarray(0, read).toString());
"""


def test_the_entry_point_puts_the_kernels_channel_on_stdin_and_stdout_and_relays_its_output(tmp_path: Path) -> None:
    program = tmp_path / "program.js"
    program.write_text(FAKE_KERNEL)
    env = {**os.environ, "JSII_KERNEL_PROGRAM": str(program)}
    pipe = subprocess.PIPE
    kernel = subprocess.Popen(["node", str(ENTRY_POINT)], stdin=pipe, stdout=pipe, stderr=pipe, env=env, text=True)
    time.sleep(0.5)  # the request comes while the kernel waits for it, as jsii's host sends them
    stdout, stderr = kernel.communicate("request\n", timeout=60)
    assert kernel.returncode == 0, stderr
    # Only the channel's traffic on stdout: what jsii's host reads as answers.
    assert stdout == "answer to request\n"
    # Everything printed reaches stderr as jsii's own entry point relays it, one JSON line per chunk.
    relayed = [json.loads(line) for line in stderr.splitlines()]
    decoded = [(stream, base64.b64decode(text).decode()) for line in relayed for stream, text in line.items()]
    assert decoded == [
        ("stdout", "to stdout\n"),
        ("stderr", "to stderr\n"),
        ("stderr", "straight to descriptor 2\n"),
        ("stderr", "x" * 300000 + "\n"),
    ]


def test_the_entry_point_refuses_to_start_without_the_kernel_program() -> None:
    env = {key: value for key, value in os.environ.items() if key != "JSII_KERNEL_PROGRAM"}
    done = subprocess.run(["node", str(ENTRY_POINT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "JSII_KERNEL_PROGRAM must name jsii's lib/program.js" in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_the_kernel_of_this_test_session_has_no_relay_process() -> None:
    cdk.App()  # the kernel is running
    children = child_processes()
    kernels = []
    for pid in children.get(os.getpid(), []):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(ENTRY_POINT).encode() in command:
            kernels.append(pid)
    assert len(kernels) == 1, "the kernel is not a child of this process, started through the entry point"
    assert children.get(kernels[0], []) == [], "the kernel process started a child of its own"


def test_the_kernel_program_is_written_once_per_version(tmp_path: Path) -> None:
    program = kernel_program(tmp_path)
    assert program.read_bytes() == _embedded("lib/program.js")
    assert (program.parent / "runtime-index-worker.js").read_bytes() == _embedded("lib/runtime-index-worker.js")
    assert kernel_program(tmp_path) == program
    assert [path.name for path in tmp_path.iterdir()] == [program.parent.parent.name]  # no staging folder left


def test_nothing_is_set_where_the_cache_cannot_be_written(tmp_path: Path) -> None:
    # jsii then runs as it ships; set in a fresh interpreter, since this one's kernel has started.
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    script = (
        "import os\n"
        "from pathlib import Path\n"
        "from stacks.kernel_in_process import run_kernel_in_process\n"
        f"run_kernel_in_process(Path({str(not_a_folder / 'cache')!r}))\n"
        "print(os.environ.get('JSII_RUNTIME'))\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("JSII_RUNTIME", "JSII_KERNEL_PROGRAM")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "None\n"


def test_setting_it_after_the_kernel_started_is_refused() -> None:
    with pytest.raises(RuntimeError, match="before aws_cdk is first imported"):
        run_kernel_in_process()
