"""Leave the app's process without tearing the interpreter down, once jsii has stopped its kernel.

After a synth the app has nothing left to do, but a normal exit still frees every object of the
hundreds of megabytes of aws-cdk-lib bindings it imported, one by one: about a quarter of a second
for the whole app (a few hundredths for an app with one empty stack). The handler registered here
ends the process with `os._exit` instead, after flushing stdout and stderr. It must run after jsii's
own exit handler, which stops the Node.js kernel and removes its temporary files: exit handlers run
in reverse order of registration, so this module is imported before aws_cdk (which registers jsii's
when it starts the kernel). It does nothing unless `exit_after_jsii_stops` armed it: importing the
app in a test leaves the interpreter's normal exit alone.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn

_armed_exit_code: int | None = None


def _exit_without_teardown() -> None:
    if _armed_exit_code is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_armed_exit_code)


atexit.register(_exit_without_teardown)


def exit_after_jsii_stops(code: int) -> NoReturn:
    """`sys.exit(code)`; the process then ends right after jsii's kernel has stopped."""
    global _armed_exit_code  # noqa: PLW0603 - one process, one exit
    _armed_exit_code = code
    sys.exit(code)
