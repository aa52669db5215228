"""Values derived from report content that repeats across findings, made once per distinct key."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

# Keys come from report content, so every memo is bounded; past the bound values are still made,
# just not kept. Large enough for the distinct files and rules of very large scans.
MEMO_SIZE = 16_384

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Memo(dict[_K, _V]):
    """`memo[key]` is `make(key)`, computed on the first lookup of each key; `make` must be pure.

    A dict, so a hit is one C-level lookup and no Python call: what makes memoizing work of a few
    hundred nanoseconds worthwhile at all. A miss costs a Python call (~0.3 µs) on top of `make`:
    memoize what repeats across findings by nature (a rule's, a severity's or a file's text), never
    values that are usually new per finding (vulnerability ids, package names).
    """

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[_K], _V]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: _K) -> _V:
        return remember(self, key, self._make(key))


def remember(memo: dict[_K, _V], key: _K, value: _V) -> _V:
    """`value`, kept as `memo[key]` while the memo is within its bound.

    For the memos of values that are often new per finding: looked up with `memo.get`, so a key
    seen for the first time costs a failed lookup and this call, not the Memo's `__missing__`.
    """
    if len(memo) < MEMO_SIZE:
        memo[key] = value
    return value
