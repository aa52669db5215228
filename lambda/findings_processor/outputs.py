"""Write every requested output file from one scan result and its gate verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from findings_processor.gate import GateResult
from findings_processor.pipeline import ScanResult
from findings_processor.writers import asff, junit, sarif, summary
from findings_processor.writers.asff import Target


@dataclass(frozen=True, slots=True)
class Outputs:
    asff: Path | None = None
    sarif: Path | None = None
    junit: Path | None = None
    summary: Path | None = None


def write_outputs(result: ScanResult, gate: GateResult, target: Target, outputs: Outputs) -> str:
    """Writes the files asked for and returns the Markdown summary."""
    if outputs.asff:
        now = asff.timestamp(dt.datetime.now(dt.UTC))
        with _open(outputs.asff) as stream:
            asff.write_json_array(asff.records(result.findings, target, now), stream)
    if outputs.sarif:
        with _open(outputs.sarif) as stream:
            sarif.write(result.findings, stream)
    if outputs.junit:
        with _open(outputs.junit) as stream:
            junit.write(gate, stream)
    text = summary.render(gate, reports=len(result.reports) + len(result.errors))
    if outputs.summary:
        with _open(outputs.summary) as stream:
            stream.write(text + "\n")
    return text


def _open(path: Path):  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Lone surrogates (legal in JSON escapes, not in UTF-8) are replaced rather than crash a write.
    return path.open("w", encoding="utf-8", errors="replace", newline="\n")
