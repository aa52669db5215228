"""Encoded JSON text that repeats across findings, made once per distinct value."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import TypeVar

# The string encoder json.dumps(..., ensure_ascii=False) uses (the C one when built). It escapes
# character by character, so quote(a + b) == quote(a)[:-1] + quote(b)[1:]: an encoded value can be
# reused wherever an output repeats it uncut, or spliced into a longer string.
quote = json.encoder.encode_basestring

# Keys come from report content, so every memo is bounded; past the bound values are still made,
# just not kept. Large enough for the distinct files and rules of very large scans.
MEMO_SIZE = 16_384

_K = TypeVar("_K", bound=Hashable)


class Memo(dict[_K, str]):
    """`memo[key]` is `make(key)`, computed on the first lookup of each key.

    A dict, so a hit is one C-level lookup: no Python call, which is what makes memoizing a
    ~100 ns encoding worthwhile at all.
    """

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[_K], str]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: _K) -> str:
        value = self._make(key)
        if len(self) < MEMO_SIZE:
            self[key] = value
        return value


# Strings that repeat across the findings of one scan (files, rule ids, confidences): quoted once.
QUOTED: Memo[str] = Memo(quote)
