"""jsii's kernel counts the validation engine's memory within the heap limit (stacks/kernel_memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import aws_cdk as cdk
import pytest

from stacks.kernel_affinity import descendants
from stacks.kernel_in_process import ENTRY_POINT as KERNEL_ENTRY_POINT
from stacks.kernel_memory import PRELOAD, count_engine_memory_in_heap_limit, node_options_with_preload

ENGINE_PACKAGE = "package/node_modules/@aws/cloudformation-validate/"
# Builds aws-cdk-lib's template validation engine and prints how many full (mark-compact) collections ran.
COUNT_FULL_COLLECTIONS = """
const { PerformanceObserver, constants } = require("node:perf_hooks");
let full = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ["gc"] });
const { CompositeEngine } = require(process.argv[1]);
new CompositeEngine({});
setTimeout(() => console.log(full), 50);  // collection entries are delivered after the current task
"""


def _node(node_options: str, *args: str) -> str:
    env = {**os.environ, "NODE_OPTIONS": node_options}
    done = subprocess.run(["node", *args], env=env, capture_output=True, text=True, timeout=120, check=True)
    assert done.stderr == "", done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def validation_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """aws-cdk-lib's own copy of the engine, from the package jsii loads."""
    (tarball,) = (Path(cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    target = tmp_path_factory.mktemp("engine")
    with tarfile.open(tarball) as archive:
        members = [member for member in archive if member.name.startswith(ENGINE_PACKAGE)]
        archive.extractall(target, members=members, filter="data")
    return target / ENGINE_PACKAGE


def test_building_the_engine_runs_no_full_collection_with_the_preload(validation_engine: Path) -> None:
    # Without it, V8 runs a full collection at nearly every step of the engine's memory growth. The
    # count also fails this test if a Node.js upgrade drops the flag while keeping the old behaviour.
    without = int(_node("", "-e", COUNT_FULL_COLLECTIONS, str(validation_engine)))
    with_preload = int(_node(node_options_with_preload(""), "-e", COUNT_FULL_COLLECTIONS, str(validation_engine)))
    assert without >= 50
    assert with_preload <= 2


def test_the_users_node_options_are_kept_and_the_preload_added_once() -> None:
    options = node_options_with_preload("--max-old-space-size=8192")
    assert options.startswith("--max-old-space-size=8192 --require ")
    assert str(PRELOAD) in options
    assert node_options_with_preload(options) == options


def test_node_reads_the_preload_path_back_even_with_spaces_and_quotes(tmp_path: Path) -> None:
    folder = tmp_path / 'a "quoted" folder with spaces'
    folder.mkdir()
    marker = folder / "marker.cjs"
    marker.write_text('process.stdout.write("preloaded");\n')
    assert _node(node_options_with_preload("", preload=marker), "-e", "") == "preloaded"


def test_setting_it_after_the_kernel_started_is_refused() -> None:
    # A silent no-op would leave the kernel without the flag and nobody the wiser.
    with pytest.raises(RuntimeError, match="before aws_cdk is first imported"):
        count_engine_memory_in_heap_limit()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the kernel's environment from /proc")
def test_the_kernel_of_this_test_session_was_started_with_the_preload() -> None:
    # tests/conftest.py sets it before aws_cdk is imported, as app.py does.
    cdk.App()  # the kernel is running
    environments = []
    for pid in descendants(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        # the kernel, run in-process by its entry point (stacks/kernel_in_process.py)
        if str(KERNEL_ENTRY_POINT).encode() in command:
            environments.append(environment)
    assert environments, "jsii's kernel is not among this process's descendants"
    for environment in environments:
        (options,) = [entry for entry in environment if entry.startswith(b"NODE_OPTIONS=")]
        assert str(PRELOAD).encode() in options
