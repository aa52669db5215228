"""The cyclic garbage collector, paused while a run turns reports into findings and outputs."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; the collector's previous state is restored after.

    Parsing a report, normalizing it and writing the outputs create no reference cycles: reference
    counting frees everything. The collector walks those objects anyway: each young collection
    every object allocated since the last one, each collection of the oldest generation the whole
    parsed document and every finding (a third of the time on large reports). Paused for a whole
    run (the command line's, a Lambda invocation's), it also skips the walk over every finding
    that resuming between parsing and writing cost (0.1 s for 100,000 findings): it resumes once
    they are freed.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
