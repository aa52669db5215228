"""The kernel loads the previous synth's modules while the app imports (stacks/kernel_warmup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.kernel_in_process import KERNEL_PROGRAM_ENV
from stacks.kernel_warmup import MODULES_ENV, KernelWarmUp
from tests.conftest import REPO_ROOT

WARM_UP = REPO_ROOT / "stacks" / "kernel_warmup.cjs"
# Stands in for the kernel: loads the library's index as jsii loads a package; in the next turn of
# the event loop (the kernel's next request) the "synth" asks for lib/vpc.js; then it reports which
# library modules are loaded.
KERNEL = """
const path = require("path");
require(process.argv[1]).warmUp(process.argv[2]);
const library = path.join(process.argv[3], "node_modules", "aws-cdk-lib");
require(path.join(library, "index.js"));
setImmediate(() => setImmediate(() => {
  require(path.join(library, "lib", "vpc.js"));
  console.log(JSON.stringify(globalThis.loaded));
}));
"""


def _library(root: Path) -> Path:
    library = root / "node_modules" / "aws-cdk-lib"
    (library / "lib").mkdir(parents=True)
    for name in ("index.js", "lib/vpc.js", "lib/bucket.js", "lib/unused.js"):
        (library / name).write_text(f"(globalThis.loaded ??= []).push({name!r});\n")
    return library


def _kernel(list_file: Path, root: Path) -> list[str]:
    done = subprocess.run(
        ["node", "-e", KERNEL, str(WARM_UP), str(list_file), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_the_kernel_loads_the_listed_modules_once_the_library_is_loaded_and_records_what_the_synth_used(
    tmp_path: Path,
) -> None:
    _library(tmp_path)
    list_file = tmp_path / "kernel-modules.txt"
    # A first synth: nothing listed, nothing loaded early; what the synth loaded is recorded.
    assert _kernel(list_file, tmp_path) == ["index.js", "lib/vpc.js"]
    assert list_file.read_text().split() == ["index.js", "lib/vpc.js"]
    # The next, with a list: the modules it names, in its order, before the synth asks; a module gone
    # since is skipped, and one loaded early that the synth did not ask for leaves the list.
    list_file.write_text("index.js\nlib/bucket.js\nlib/gone.js\nlib/vpc.js\n")
    assert _kernel(list_file, tmp_path) == ["index.js", "lib/bucket.js", "lib/vpc.js"]
    assert list_file.read_text().split() == ["index.js", "lib/vpc.js"]


def test_a_list_that_cannot_be_read_or_written_costs_only_the_warm_up(tmp_path: Path) -> None:
    _library(tmp_path)
    not_a_file = tmp_path / "kernel-modules.txt"
    not_a_file.mkdir()
    assert _kernel(not_a_file, tmp_path) == ["index.js", "lib/vpc.js"]  # and the kernel exited 0
    warm_up = KernelWarmUp(tmp_path / "no such folder")
    warm_up.import_host_modules()
    warm_up.record_host_modules()
    assert not (tmp_path / "no such folder").exists()


def test_the_app_imports_the_listed_aws_cdk_lib_modules_and_records_its_own(tmp_path: Path) -> None:
    # In a fresh interpreter: this one's kernel has started, and its modules are imported already.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from stacks.kernel_in_process import run_kernel_in_process\n"
        "from stacks.kernel_warmup import KernelWarmUp\n"
        f"root = Path({str(tmp_path)!r})\n"
        "run_kernel_in_process(root)\n"
        "warm_up = KernelWarmUp.for_app(Path('app.py'), root)\n"
        "import aws_cdk\n"
        "warm_up.import_host_modules()\n"
        "print('aws_cdk.aws_sqs' in sys.modules)\n"
        "warm_up.record_host_modules()\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in (KERNEL_PROGRAM_ENV, MODULES_ENV)}

    def run() -> str:
        command = [sys.executable, "-c", script]
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
        return done.stdout.strip()

    assert run() == "False"  # nothing listed yet
    (host_list,) = tmp_path.glob("warm-up/*/host-modules.txt")
    assert "aws_cdk.aws_sqs" not in host_list.read_text().split()
    host_list.write_text("aws_cdk.aws_sqs\naws_cdk.gone_since\n")
    assert run() == "True"


def test_no_warm_up_without_the_in_process_kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # jsii's own entry point would not load the lists; nothing is set for it.
    monkeypatch.delitem(sys.modules, "aws_cdk", raising=False)
    monkeypatch.delenv(KERNEL_PROGRAM_ENV)
    assert KernelWarmUp.for_app(REPO_ROOT / "app.py", tmp_path) is None
    assert MODULES_ENV not in os.environ


def test_setting_it_after_the_kernel_started_is_refused(tmp_path: Path) -> None:
    import aws_cdk  # noqa: F401 - starts the kernel, if no other test has yet

    with pytest.raises(RuntimeError, match="before aws_cdk is first imported"):
        KernelWarmUp.for_app(REPO_ROOT / "app.py", tmp_path)
