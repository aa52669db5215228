"""Everything the jsii kernel needs set before aws_cdk's import starts it, in one call.

App, tests and the benchmark's floor start their kernel the same way: its memory setting
(`kernel_memory.py`), in-process (`kernel_in_process.py`) and, for an app, warmed up with the
modules of its previous synth (`kernel_warmup.py`).
"""

from __future__ import annotations

from pathlib import Path

from stacks.kernel_in_process import run_kernel_in_process
from stacks.kernel_memory import count_engine_memory_in_heap_limit
from stacks.kernel_warmup import KernelWarmUp


def prepare_jsii_kernel(app: Path | None = None) -> KernelWarmUp | None:
    """Sets up the kernel this process is about to start; `app`'s warm-up when one is named and possible.

    The caller then imports aws_cdk, calls the warm-up's `import_host_modules` before its own modules,
    and `record_host_modules` after its synth.
    """
    count_engine_memory_in_heap_limit()
    run_kernel_in_process()
    return KernelWarmUp.for_app(app) if app is not None else None
