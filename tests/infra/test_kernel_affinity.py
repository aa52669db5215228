"""While the app builds, its thread and its child processes' main threads share one CPU; after, they do not.

A process left out (the template validation worker) keeps off that CPU meanwhile, with all its threads.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from stacks.kernel_affinity import colocated_with_jsii_kernel, descendants

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux CPU affinity and at least two CPUs",
)


@pytest.fixture
def grandchild() -> Iterator[tuple[int, int]]:
    """(child, grandchild) process ids: a Python process that starts a sleeping one, as the worker starts its kernel."""
    script = "import subprocess, time; p = subprocess.Popen(['sleep', '60']); print(p.pid, flush=True); time.sleep(60)"
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.pid, int(child.stdout.readline())
    finally:
        child.kill()
        child.wait()


def test_descendants_include_grandchildren(grandchild: tuple[int, int]) -> None:
    assert set(grandchild) <= set(descendants(os.getpid()))


def test_this_thread_and_descendants_share_one_cpu_inside_and_are_free_again_after(grandchild: tuple[int, int]) -> None:
    everywhere = os.sched_getaffinity(0)
    with colocated_with_jsii_kernel():
        mine = os.sched_getaffinity(0)
        assert len(mine) == 1
        for pid in grandchild:
            assert os.sched_getaffinity(pid) == mine
    assert os.sched_getaffinity(0) == everywhere
    for pid in grandchild:
        assert os.sched_getaffinity(pid) == everywhere


def test_a_cpu_set_that_excludes_this_cpu_is_left_alone(grandchild: tuple[int, int]) -> None:
    everywhere = os.sched_getaffinity(0)
    here, elsewhere = sorted(everywhere)[:2]
    child, sleeper = grandchild
    os.sched_setaffinity(0, {here})  # this thread now runs on `here`
    os.sched_setaffinity(sleeper, {elsewhere})
    try:
        with colocated_with_jsii_kernel():
            assert os.sched_getaffinity(0) == {here}
            assert os.sched_getaffinity(child) == {here}
            assert os.sched_getaffinity(sleeper) == {elsewhere}
        assert os.sched_getaffinity(child) == everywhere
    finally:
        os.sched_setaffinity(0, everywhere)


def test_a_process_left_out_and_its_children_keep_off_this_cpu_inside(grandchild: tuple[int, int]) -> None:
    everywhere = os.sched_getaffinity(0)
    child, _ = grandchild
    with colocated_with_jsii_kernel(leaving_out=[child]):
        (here,) = os.sched_getaffinity(0)
        for pid in grandchild:
            for thread in os.listdir(f"/proc/{pid}/task"):
                assert os.sched_getaffinity(int(thread)) == everywhere - {here}
    for pid in grandchild:
        assert os.sched_getaffinity(pid) == everywhere


def test_what_a_process_left_out_starts_meanwhile_is_free_again_after() -> None:
    # The worker starts its jsii processes while constructs are built; they inherit its CPU set.
    script = "import subprocess, sys; sys.stdin.readline(); print(subprocess.Popen(['sleep', '60']).pid, flush=True)"
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None
    assert child.stdout is not None
    everywhere = os.sched_getaffinity(0)
    try:
        with colocated_with_jsii_kernel(leaving_out=[child.pid]):
            (here,) = os.sched_getaffinity(0)
            child.stdin.write("start\n")
            child.stdin.flush()
            started = int(child.stdout.readline())
            assert os.sched_getaffinity(started) == everywhere - {here}
        assert os.sched_getaffinity(started) == everywhere
        assert os.sched_getaffinity(child.pid) == everywhere
    finally:
        child.kill()
        child.wait()
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.kill(started, 9)
