"""Keep the app's thread and the jsii kernel's on one CPU while constructs are built.

Every construct the app builds is a synchronous round trip from Python to jsii's kernel and back:
two wake-ups per call (four where jsii's own entry point relays between them, see
`kernel_in_process.py`), each handing the CPU to a process blocked on a pipe. When the wake-ups
cross CPUs (on a virtual machine, an inter-processor interrupt to a vCPU that may be halted), a
round trip takes about twice as long as when all of them run on one CPU; only one of them ever runs
at a time, so one CPU loses nothing. Only the main threads are pinned: Node.js's garbage-collector
and compiler threads, and jsii's reader of the kernel's stderr, stay free. Synthesis, where the
kernel works alone for seconds and those helper threads do real work, runs after the pins are lifted.

Processes named in `leaving_out` (the template validation worker, `validation_worker.py`, and its
own jsii processes) are not pinned there: all their threads are kept off that CPU instead, so that
the worker's work does not interrupt the round trips. With one CPU they are left alone.

Linux only (`sched_setaffinity` and `/proc`); elsewhere, or when the system refuses, nothing is
pinned and nothing fails: this only makes the build faster.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator

_PROC = "/proc"


@contextlib.contextmanager
def colocated_with_jsii_kernel(leaving_out: Collection[int] = ()) -> Iterator[None]:
    """Inside: this thread and the main thread of every descendant process on the current CPU.

    The processes in `leaving_out` and their descendants are kept off that CPU, every thread of
    theirs. On the way out each thread gets its previous CPU set back (a process that has exited
    meanwhile is skipped), and so do the processes and threads those left out started meanwhile,
    which inherited the narrowed set.
    """
    pinned, kept_off = _pin_to_current_cpu(leaving_out)
    try:
        yield
    finally:
        for task, previous in pinned:
            _set_affinity(task, previous)
        for root, previous, narrowed in kept_off:
            for thread in _threads([root, *descendants(root)]):
                with contextlib.suppress(OSError):  # exited meanwhile
                    if os.sched_getaffinity(thread) == narrowed:  # not a set chosen since, on purpose
                        _set_affinity(thread, previous)


def _pin_to_current_cpu(
    leaving_out: Collection[int],
) -> tuple[list[tuple[int, set[int]]], list[tuple[int, set[int], set[int]]]]:
    """Pins as the context manager says. Returns (task, previous CPU set) of each pinned task, and
    (process, previous CPU set, narrowed CPU set) of each process left out whose threads were narrowed."""
    if not hasattr(os, "sched_setaffinity") or not os.path.isdir(_PROC):
        return [], []
    try:
        cpu = _current_cpu()
        children = child_processes()  # one reading of /proc for both sets
        kept_off = {*leaving_out, *(pid for process in leaving_out for pid in descendants(process, children))}
        tasks = [0, *(pid for pid in descendants(os.getpid(), children) if pid not in kept_off)]  # 0: this thread
        previous = [(task, os.sched_getaffinity(task)) for task in tasks]
        roots = [(process, os.sched_getaffinity(process)) for process in leaving_out]
    except (OSError, ValueError, IndexError):
        return [], []
    # Below, a CPU set that excludes this CPU, or holds nothing else, was chosen on purpose: left alone.
    pinned: list[tuple[int, set[int]]] = []
    for task, cpus in previous:
        if cpu in cpus and _set_affinity(task, {cpu}):
            pinned.append((task, cpus))
    for thread in _threads(kept_off):
        with contextlib.suppress(OSError):  # exited meanwhile
            cpus = os.sched_getaffinity(thread)
            if cpu in cpus and cpus - {cpu}:
                _set_affinity(thread, cpus - {cpu})
    return pinned, [(root, cpus, cpus - {cpu}) for root, cpus in roots if cpu in cpus and cpus - {cpu}]


def _set_affinity(task: int, cpus: set[int]) -> bool:
    try:
        os.sched_setaffinity(task, cpus)
    except OSError:
        return False
    return True


def _threads(processes: Collection[int]) -> list[int]:
    """The thread ids of `processes` (those that have exited are skipped)."""
    threads: list[int] = []
    for process in processes:
        with contextlib.suppress(OSError):
            threads.extend(int(task) for task in os.listdir(f"{_PROC}/{process}/task"))
    return threads


def descendants(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """The ids of `pid`'s child processes, their children, and so on (breadth first).

    `children`: a reading of /proc by `child_processes`, to reuse; read afresh when not given.
    """
    if children is None:
        children = child_processes()
    found = list(children.get(pid, []))
    for child in found:  # extended while iterating: grandchildren follow children
        found.extend(children.get(child, []))
    return found


def child_processes() -> dict[int, list[int]]:
    """Every process's child processes, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir(_PROC):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(f"{_PROC}/{entry}/stat")
        except OSError:
            continue  # exited while the list was read
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _current_cpu() -> int:
    """The CPU this thread last ran on (field 39 of its stat line)."""
    return int(_stat_fields(f"{_PROC}/thread-self/stat")[36])


def _stat_fields(path: str) -> list[str]:
    """The fields of a /proc stat line after the command name, which may itself contain spaces."""
    with open(path, encoding="ascii", errors="replace") as stat:
        line = stat.read()
    return line[line.rindex(")") + 2 :].split()
