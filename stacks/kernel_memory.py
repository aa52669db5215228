"""Spare jsii's kernel the garbage collections aws-cdk-lib's template validation engine provokes.

aws-cdk-lib validates every template with a WebAssembly engine (`@aws/cloudformation-validate`)
whose memory grows in many small steps. V8 before 14.8 counts every step towards a separate
external-memory limit and starts a full mark-compact whenever it is crossed: building the engine
ran about 150 of them over a 4 MB heap and took 1.3 to 1.6 s instead of 0.6 to 0.7 s, and
validating the app's templates ran hundreds more. With `--external-memory-accounted-in-global-limit`
V8 counts that memory within the heap's global limit instead; V8 14.8 made this the default and
removed the flag.

jsii starts Node.js itself, and Node.js refuses V8 flags in NODE_OPTIONS, so the flag is set by a
preloaded script (`kernel_memory.cjs`, which NODE_OPTIONS may name with `--require`) through
`v8.setFlagsFromString`, on the V8 versions that have the flag without defaulting to it. Every
Node.js process jsii starts loads it; only the kernel runs the engine: the template validation worker's
(`validation_worker.py`), which inherits NODE_OPTIONS, or the app's own where there is no worker
(the tests). NODE_OPTIONS must be set before jsii starts its kernel, that is before aws_cdk is first
imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PRELOAD = Path(__file__).resolve().with_name("kernel_memory.cjs")


def count_engine_memory_in_heap_limit() -> None:
    """Adds the preload to NODE_OPTIONS for the jsii kernel this process is about to start."""
    if "aws_cdk" in sys.modules:
        raise RuntimeError("jsii's kernel has already started: set this before aws_cdk is first imported")
    os.environ["NODE_OPTIONS"] = node_options_with_preload(os.environ.get("NODE_OPTIONS", ""))


def node_options_with_preload(node_options: str, preload: Path = PRELOAD) -> str:
    """`node_options` with `--require <preload>` added once; the user's own options are kept."""
    # NODE_OPTIONS splits on spaces outside double quotes, and unescapes backslashes inside them.
    require = '--require "{}"'.format(str(preload).replace("\\", "\\\\").replace('"', '\\"'))
    if require in node_options:
        return node_options
    return f"{node_options} {require}".strip()
