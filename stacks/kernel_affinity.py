"""Keep the app's thread and the jsii kernel's on one CPU while constructs are built.

Every construct the app builds is a synchronous round trip from Python through jsii's two Node.js
processes (the `jsii-runtime` host, which relays, and the kernel behind it) and back: four wake-ups
per call, each handing the CPU to a process blocked on a pipe. When the wake-ups cross CPUs (on a
virtual machine, an inter-processor interrupt to a vCPU that may be halted), a round trip takes
about twice as long as when all three run on one CPU; only one of them ever runs at a time, so one
CPU loses nothing. Only the three main threads are pinned: Node.js's garbage-collector and compiler
threads, and jsii's reader of the kernel's stderr, stay free. Synthesis, where the kernel works
alone for seconds and those helper threads do real work, runs after the pins are lifted.

Linux only (`sched_setaffinity` and `/proc`); elsewhere, or when the system refuses, nothing is
pinned and nothing fails: this only makes the build faster.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_PROC = "/proc"


@contextlib.contextmanager
def colocated_with_jsii_kernel() -> Iterator[None]:
    """Inside: this thread and the main thread of every descendant process on the current CPU.

    Each pinned thread's previous CPU set is restored on the way out (a process that has exited
    meanwhile is skipped).
    """
    pinned = _pin_to_current_cpu()
    try:
        yield
    finally:
        for task, previous in pinned:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(task, previous)


def _pin_to_current_cpu() -> list[tuple[int, set[int]]]:
    """Pins this thread and its descendants' main threads; returns (task, previous CPU set) of each."""
    if not hasattr(os, "sched_setaffinity") or not os.path.isdir(_PROC):
        return []
    try:
        cpu = _current_cpu()
        tasks = [0, *descendants(os.getpid())]  # 0: the calling thread
        previous = [(task, os.sched_getaffinity(task)) for task in tasks]
    except (OSError, ValueError, IndexError):
        return []
    pinned: list[tuple[int, set[int]]] = []
    for task, cpus in previous:
        if cpu not in cpus:
            continue  # a CPU set that excludes this CPU was chosen on purpose: left alone
        try:
            os.sched_setaffinity(task, {cpu})
        except OSError:
            continue
        pinned.append((task, cpus))
    return pinned


def descendants(pid: int) -> list[int]:
    """The ids of `pid`'s child processes, their children, and so on (breadth first)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir(_PROC):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(f"{_PROC}/{entry}/stat")
        except OSError:
            continue  # exited while the list was read
        children.setdefault(int(fields[1]), []).append(int(entry))
    found = list(children.get(pid, []))
    for child in found:  # extended while iterating: grandchildren follow children
        found.extend(children.get(child, []))
    return found


def _current_cpu() -> int:
    """The CPU this thread last ran on (field 39 of its stat line)."""
    return int(_stat_fields(f"{_PROC}/thread-self/stat")[36])


def _stat_fields(path: str) -> list[str]:
    """The fields of a /proc stat line after the command name, which may itself contain spaces."""
    with open(path, encoding="ascii", errors="replace") as stat:
        line = stat.read()
    return line[line.rindex(")") + 2 :].split()
