"""Write every requested output file from one scan result and its gate verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from findings_processor.collector import paused
from findings_processor.writers import asff, sarif

if TYPE_CHECKING:
    from findings_processor.gate import GateResult
    from findings_processor.model import Finding
    from findings_processor.pipeline import ScanResult
    from findings_processor.writers.asff import Target

# Large writes: the ASFF file of a big scan is hundreds of megabytes written record by record.
_BUFFER = 1 << 20


@dataclass(frozen=True, slots=True)
class Outputs:
    asff: Path | None = None
    sarif: Path | None = None
    junit: Path | None = None
    summary: Path | None = None


def write_outputs(result: ScanResult, gate: GateResult, target: Target, outputs: Outputs) -> str:
    """Writes the files asked for and returns the Markdown summary."""
    # Imported here: a caller writing only ASFF or SARIF (the Lambda handler, a benchmark) does
    # not load the gate's writers; with no cached bytecode every module imported is compiled.
    from findings_processor.writers import junit, summary  # noqa: PLC0415

    if outputs.asff:
        write_asff(result.findings, target, outputs.asff)
    if outputs.sarif:
        write_sarif(result.findings, outputs.sarif)
    if outputs.junit:
        with _open(outputs.junit) as stream:
            junit.write(gate, stream)
    text = summary.render(gate, reports=len(result.reports) + len(result.errors))
    if outputs.summary:
        with _open(outputs.summary) as stream:
            stream.write(text + "\n")
    return text


def write_asff(findings: Sequence[Finding], target: Target, path: Path) -> list[int]:
    """The BatchImportFindings array for `target`; returns each record's size in UTF-8 bytes."""
    now = asff.timestamp(dt.datetime.now(dt.UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    with paused(), path.open("wb", buffering=_BUFFER) as stream:
        return asff.write_findings(findings, target, now, stream)


def write_sarif(findings: Sequence[Finding], path: Path) -> None:
    with paused(), _open(path) as stream:
        sarif.write(findings, stream)


def _open(path: Path):  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Lone surrogates (legal in JSON escapes, not in UTF-8) are replaced rather than crash a write.
    return path.open("w", encoding="utf-8", errors="replace", newline="\n")
