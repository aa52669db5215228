"""Load the modules a synth will need while the app is still importing its own.

Until the app has imported its Python modules, jsii's kernel has nothing to do; once the app builds
constructs, each new kind of construct makes the kernel load aws-cdk-lib's JavaScript modules for it,
while the app waits (about a second over the whole build and synth, 650 modules). So the kernel
loads them during the imports instead, on the other CPU: those the app's previous synth loaded, in
the order it loaded them (the kernel's entry point records them as it exits, `kernel_warmup.cjs`).
The app imports the aws-cdk-lib Python modules its previous synth imported first, before any of its
own modules calls into the kernel, so that the two run side by side.

Both lists are the previous synth's, written anew by every synth: a module the warm-up loaded counts
only if the synth then asks for it, so one the app no longer uses leaves the list at the next synth
(until then it is only loaded early for nothing). Without lists (a first synth) nothing is loaded
early, and a list that cannot be read or written only costs the warm-up. Only the app's kernel warms
up: the template validation worker, started later, does not inherit the setting. Needs the kernel
in-process (`kernel_in_process.py`), whose entry point does the kernel's part.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import sys
from pathlib import Path

from stacks.kernel_in_process import KERNEL_PROGRAM_ENV, cache_root

MODULES_ENV = "JSII_KERNEL_MODULES"
_HOST_PACKAGE = "aws_cdk."


class KernelWarmUp:
    """The lists of one app: the kernel's JavaScript modules and the app's aws-cdk-lib Python modules."""

    def __init__(self, folder: Path) -> None:
        self._kernel_modules = folder / "kernel-modules.txt"
        self._host_modules = folder / "host-modules.txt"

    @classmethod
    def for_app(cls, app: Path, root: Path | None = None) -> KernelWarmUp | None:
        """Sets the kernel this process is about to start to warm up for `app`; None when it cannot."""
        if "aws_cdk" in sys.modules:
            raise RuntimeError("jsii's kernel has already started: set this before aws_cdk is first imported")
        if KERNEL_PROGRAM_ENV not in os.environ:  # jsii's own entry point: no warm-up
            return None
        key = hashlib.sha256(str(app.resolve()).encode()).hexdigest()[:16]
        folder = (root if root is not None else cache_root()) / "warm-up" / key
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            return None
        warm_up = cls(folder)
        os.environ[MODULES_ENV] = str(warm_up._kernel_modules)
        return warm_up

    def import_host_modules(self) -> None:
        """Imports the aws-cdk-lib Python modules of the previous synth; call right after aws_cdk's import.

        None of them calls into the kernel while imported, so the kernel's own loading is undisturbed.
        Processes started from here on (the template validation worker) do not warm up.
        """
        os.environ.pop(MODULES_ENV, None)
        try:
            names = self._host_modules.read_text().split()
        except (OSError, ValueError):  # no list yet, or not one to trust: nothing imported early
            return
        for name in names:
            if name.startswith(_HOST_PACKAGE):
                with contextlib.suppress(ImportError):  # gone in this version of aws-cdk-lib
                    importlib.import_module(name)

    def record_host_modules(self) -> None:
        """Records the aws-cdk-lib Python modules this synth imported, for the next."""
        names = sorted(name for name in sys.modules if name.startswith(_HOST_PACKAGE) and name.count(".") == 1)
        staging = self._host_modules.with_name(f"{self._host_modules.name}.{os.getpid()}")
        try:
            staging.write_text("\n".join(names) + "\n")
            os.replace(staging, self._host_modules)
        except OSError:  # not recorded: the next synth warms up with the older list
            staging.unlink(missing_ok=True)
