"""Run jsii's kernel in the Node.js process jsii starts, without the process that relays to it.

jsii's entry point (`bin/jsii-runtime.js`) does not run the kernel itself: it starts it as a child
process and relays every request and every answer between the host (this Python process) and the
child, through its event loop. Each round trip therefore wakes three processes instead of two.
Building the whole app is about 4,000 synchronous round trips; with the relay each took about
160 µs of pipe traffic, without it about 75 µs (5,000 trivial calls, the app's thread and the kernel
on one CPU as `kernel_affinity.py` runs them): about 0.4 s of every synth.

`kernel_in_process.cjs` is the entry point instead (jsii's host starts the one named by
`JSII_RUNTIME`). It runs jsii's own kernel program (`lib/program.js`, as embedded in the jsii
package) in its process, points the kernel's channel at stdin and stdout, and relays what the
kernel's code prints as jsii's entry point does (Node.js's own stdio streams, which would make the
pipes non-blocking under the kernel's synchronous reads, are never created). The kernel program is
written once per version to a private cache folder, where every process started from this one finds
it (the validation worker, test subprocesses), since the environment is inherited.
`--preserve-symlinks`, which jsii's entry point passes its kernel, goes through NODE_OPTIONS.

Where a package name leads from a folder is worked out once per kernel
(`kernel_module_resolution.cjs`): Node.js remembers it, except when the package's "exports" map gave
the answer, which it works out again for every require. aws-cdk-lib's map has hundreds of entries,
and each of cdk-nag's rule files requires aws-cdk-lib's modules by name: loading cdk-nag took 220
to 340 ms, and 110 to 140 ms with the answers remembered.

The kernel also keeps the code Node.js compiles for the packages it loads (`kernel_compile_cache.cjs`),
in `compile-cache/` beside the program: Node.js's compile cache, in its portable mode (keyed by paths
relative to the cache folder), enabled through a link inside the folder jsii links its packages into,
which is new in every process. The warm-up's 656 modules (`kernel_warmup.py`) then load in about
0.6 s instead of 1.0 s.
The entries are Node.js's own, checked against each file's contents before use, one per module path:
a new version of a package replaces its entries. Node.js before 24.12 has no portable mode, and
compiles as usual.

Set before aws_cdk is first imported (its import starts the kernel). Where the cache folder cannot
be written, nothing is set and jsii runs as it ships: this only makes the kernel faster.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import sys
import tempfile
from pathlib import Path

import jsii
import jsii._embedded.jsii as embedded_runtime

ENTRY_POINT = Path(__file__).resolve().with_name("kernel_in_process.cjs")
KERNEL_PROGRAM_ENV = "JSII_KERNEL_PROGRAM"
COMPILE_CACHE_ENV = "JSII_KERNEL_COMPILE_CACHE"
PRESERVE_SYMLINKS = "--preserve-symlinks"
# jsii's kernel program and the worker script it starts from the program's folder.
_KERNEL_FILES = ("lib/program.js", "lib/runtime-index-worker.js")


def run_kernel_in_process(root: Path | None = None) -> None:
    """Has the jsii kernel this process is about to start run in-process (see the module)."""
    if "aws_cdk" in sys.modules:
        raise RuntimeError("jsii's kernel has already started: set this before aws_cdk is first imported")
    try:
        root = root if root is not None else cache_root()
        program = kernel_program(root)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to put the cache in
        return
    os.environ["JSII_RUNTIME"] = str(ENTRY_POINT)
    os.environ[KERNEL_PROGRAM_ENV] = str(program)
    os.environ[COMPILE_CACHE_ENV] = str(root / "compile-cache")
    options = os.environ.get("NODE_OPTIONS", "")
    if PRESERVE_SYMLINKS not in options.split():
        os.environ["NODE_OPTIONS"] = f"{options} {PRESERVE_SYMLINKS}".strip()


def kernel_program(root: Path) -> Path:
    """jsii's `lib/program.js`, with the files beside it, written once under `root`."""
    files = {name: _embedded(name) for name in _KERNEL_FILES}
    digest = hashlib.sha256(b"".join(files[name] for name in _KERNEL_FILES)).hexdigest()[:16]
    folder = root / f"{jsii.__version__}-{digest}"
    if not folder.is_dir():
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written aside and renamed into place: a process never sees a partly written folder.
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
        try:
            for name, content in files.items():
                (staging / name).parent.mkdir(exist_ok=True)
                (staging / name).write_bytes(content)
            os.rename(staging, folder)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not folder.is_dir():  # another process may have put the same folder in place first
                raise
    return folder / _KERNEL_FILES[0]


def _embedded(name: str) -> bytes:
    # jsii ships its runtime's files flattened: lib/program.js is the resource lib__program.js.
    (resource,) = (res for res, path in embedded_runtime.EMBEDDED_FILES.items() if path == name)
    return importlib.resources.files(embedded_runtime).joinpath(resource).read_bytes()


def cache_root() -> Path:
    """This user's folder for the kernel's files (`$XDG_CACHE_HOME` or `~/.cache`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jsii-kernel-in-process"
