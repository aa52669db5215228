"""A synth imports its modules without cyclic garbage collection (stacks/imports_uncollected.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from stacks.imports_uncollected import imports_uncollected


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_off_while_importing_and_on_again_with_what_was_imported_frozen() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with imports_uncollected():
        assert not gc.isenabled()
        created = [[n] for n in range(1000)]  # stands in for what the imports create
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(created)


@pytest.mark.usefixtures("collector_restored")
def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with imports_uncollected():
        pass
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_back_on_when_an_import_fails() -> None:
    gc.enable()
    with pytest.raises(ImportError), imports_uncollected():
        import a_module_that_does_not_exist  # type: ignore[import-not-found]  # noqa: F401
    assert gc.isenabled()
