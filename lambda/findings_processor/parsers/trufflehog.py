"""trufflehog v3 --json: JSON lines (or a `jq -s` array) of detector results mixed with log lines.

`Raw`, `RawV2`, `Redacted` and `ExtraData` may all hold credential material and are never copied.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from findings_processor.model import Category, Finding, ReportContext, Severity
from findings_processor.normalize import as_dict, as_dicts, as_str, line_range, mask
from findings_processor.parsers._common import build

SCANNER = "trufflehog"
_SECRET_FIELDS = ("Raw", "RawV2", "Redacted")


def matches(doc: Any) -> bool:
    if isinstance(doc, dict):
        return "SourceMetadata" in doc
    return isinstance(doc, list) and any(isinstance(item, dict) and "SourceMetadata" in item for item in doc[:50])


def parse(doc: Any, ctx: ReportContext) -> Iterator[Finding]:
    records = [doc] if isinstance(doc, dict) else doc
    skipped = 0
    for record in as_dicts(records):
        if "SourceMetadata" not in record:
            skipped += 1  # log lines interleaved with results when stderr was captured too
            continue
        yield _finding(record, ctx)
    if skipped:
        ctx.notes.append(f"skipped {skipped} line(s) that are not trufflehog results")


def _finding(record: Mapping[str, Any], ctx: ReportContext) -> Finding:
    data = as_dict(as_dict(record.get("SourceMetadata")).get("Data"))
    source_kind, source = next(((str(k), as_dict(v)) for k, v in data.items() if isinstance(v, dict)), ("", {}))
    detector = as_str(record.get("DetectorName")) or as_str(record.get("DetectorType")) or "unknown-detector"
    file = as_str(source.get("file")) or as_str(source.get("path"))
    start, end = line_range(source.get("line"), None)
    commit = as_str(source.get("commit"))
    repository = as_str(source.get("repository"))
    verified = record.get("Verified") is True
    secrets = [text for text in (as_str(record.get(key)) for key in _SECRET_FIELDS) if text]
    place = file or repository or source_kind or "an unnamed source"
    if start:
        place += f" line {start}"
    if commit:
        place += f" (commit {commit[:12]})"
    state = "A verified, live" if verified else "An unverified"
    description = mask(
        f"{state} {detector} credential was found in {place}. "
        + (as_str(record.get("DetectorDescription")) or "")
        + " Revoke it and remove it from the history.",
        secrets,
    )
    return build(
        SCANNER,
        detector,
        f"Secret: {detector} credential" + (" (verified)" if verified else ""),
        as_str(description),
        # A credential trufflehog verified against its service is live: the worst case there is.
        Severity.CRITICAL if verified else Severity.HIGH,
        "verified" if verified else "unverified",
        Category.SECRET,
        (source_kind, repository, file, commit, detector, start),
        ctx.source_report,
        file=file,
        start_line=start,
        end_line=end,
        resource=repository,
        reference_url=mask(as_str(source.get("link")), secrets),
    )
