"""BatchImportFindings requests within AWS's limits: which findings go into which call."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

MAX_FINDINGS_PER_CALL = 100  # BatchImportFindings: "Maximum of 100 findings per request"
MAX_REQUEST_BYTES = 6 * 1000 * 1000  # 6 MB per request; counted in UTF-8 bytes with room for the envelope
MAX_FINDING_BYTES = 240 * 1000  # 240 KB per finding
_ENVELOPE_BYTES = 64
# What json.dumps(record, ensure_ascii=False, separators=(",", ":")) builds on every call, built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def plan_batches(records: Iterable[tuple[str, dict[str, Any], int]]) -> Iterator[list[tuple[str, dict[str, Any], int]]]:
    """Group (Id, record, serialized size) into batches of at most 100 findings and under 6 MB."""
    batch: list[tuple[str, dict[str, Any], int]] = []
    size = _ENVELOPE_BYTES
    for item in records:
        item_size = item[2] + 1  # the separating comma
        if batch and (len(batch) >= MAX_FINDINGS_PER_CALL or size + item_size > MAX_REQUEST_BYTES):
            yield batch
            batch, size = [], _ENVELOPE_BYTES
        batch.append(item)
        size += item_size
    if batch:
        yield batch


def serialized(record: dict[str, Any]) -> tuple[str, dict[str, Any], int]:
    size = len(_ENCODER.encode(record).encode("utf-8"))
    return record["Id"], record, size
