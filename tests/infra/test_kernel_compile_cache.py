"""The kernel keeps the code Node.js compiles for the packages it loads (stacks/kernel_compile_cache.cjs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.kernel_in_process import COMPILE_CACHE_ENV
from tests.conftest import REPO_ROOT

COMPILE_CACHE = REPO_ROOT / "stacks" / "kernel_compile_cache.cjs"
# Stands in for jsii's kernel: makes its folder of packages, new in every process, to be removed in an
# exit handler registered before the first package loads; links a package into it and loads it.
KERNEL = """
const fs = require("fs");
const os = require("os");
const path = require("path");
require(process.argv[1]).cacheCompiledCode(process.argv[2]);
const installDir = fs.mkdtempSync(path.join(os.tmpdir(), "jsii-kernel-"));
process.on("exit", () => fs.rmSync(installDir, { recursive: true, force: true }));
fs.mkdirSync(path.join(installDir, "node_modules"));
fs.symlinkSync(process.argv[3], path.join(installDir, "node_modules", "library"), "dir");
console.log(require(path.join(installDir, "node_modules", "library", "index.js")).answer());
"""


def _library(root: Path, answer: str) -> Path:
    library = root / "library"
    library.mkdir(exist_ok=True)
    body = "\n".join(f"function helper{n}(x) {{ return x + {n}; }}" for n in range(200))
    (library / "index.js").write_text(f"{body}\nexports.answer = () => {answer!r};\n")
    return library


def _kernel(cache: Path, library: Path, tmp: Path) -> str:
    tmp.mkdir(exist_ok=True)
    done = subprocess.run(
        ["node", "--preserve-symlinks", "-e", KERNEL, str(COMPILE_CACHE), str(cache), str(library)],
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert not list(tmp.iterdir()), "the stand-in kernel's folder was not removed"
    return done.stdout.strip()


def _entries(cache: Path) -> dict[str, bytes]:
    return {str(path.relative_to(cache)): path.read_bytes() for path in cache.rglob("*") if path.is_file()}


def _has_portable_compile_cache(version: str) -> bool:
    script = f"console.log(JSON.stringify(require({str(COMPILE_CACHE)!r}).hasPortableCompileCache({version!r})))"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    answer: bool = json.loads(done.stdout)
    return answer


@pytest.fixture(scope="module")
def node_keeps_portable_entries() -> None:
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=60, check=True).stdout
    if not _has_portable_compile_cache(version.strip()):
        pytest.skip(f"Node.js {version.strip()} has no portable compile cache: the kernel compiles as usual")


@pytest.mark.usefixtures("node_keeps_portable_entries")
def test_each_kernel_reads_the_entries_the_previous_one_wrote_though_its_folder_is_new(tmp_path: Path) -> None:
    cache = tmp_path / "compile-cache"
    library = _library(tmp_path, "first")
    assert _kernel(cache, library, tmp_path / "tmp") == "first"
    written = _entries(cache)
    assert written, "the first kernel wrote no entry (or wrote it after its folder was removed)"
    # Keyed by the path relative to the cache folder: a kernel in another folder finds the same entry
    # and adds none.
    assert _kernel(cache, library, tmp_path / "tmp") == "first"
    assert _entries(cache).keys() == written.keys()
    # A changed package: the entry for its path is replaced, and the new code runs.
    _library(tmp_path, "second")
    assert _kernel(cache, library, tmp_path / "tmp") == "second"
    assert _entries(cache).keys() == written.keys()
    assert _entries(cache) != written


def test_where_the_cache_folder_cannot_be_made_the_kernel_compiles_as_usual(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    library = _library(tmp_path, "compiled anyway")
    assert _kernel(not_a_folder / "compile-cache", library, tmp_path / "tmp") == "compiled anyway"


def test_only_a_node_js_with_a_portable_compile_cache_keeps_entries() -> None:
    # Keyed by absolute paths, each synth would add entries for its new folder and never read one.
    assert [_has_portable_compile_cache(v) for v in ("v22.12.0", "v24.11.1", "v24.12.0", "v25.0.0", "v26.1.0")] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_the_kernels_of_a_process_keep_their_compiled_code_beside_the_kernel_program(tmp_path: Path) -> None:
    # Set in a fresh interpreter, since this one's kernel has started.
    script = (
        "import os\n"
        "from pathlib import Path\n"
        "from stacks.kernel_in_process import run_kernel_in_process\n"
        f"run_kernel_in_process(Path({str(tmp_path)!r}))\n"
        f"print(os.environ[{COMPILE_CACHE_ENV!r}])\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("JSII_RUNTIME", "JSII_KERNEL_PROGRAM")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == f"{tmp_path / 'compile-cache'}\n"
