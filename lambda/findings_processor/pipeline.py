"""Read every report, parse it, and collect one deduplicated list of findings plus gaps and errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from findings_processor.collector import paused
from findings_processor.model import Category, CoverageGap, Finding, ReportContext, ReportError
from findings_processor.normalize import fingerprint
from findings_processor.parsers import detect
from findings_processor.reading import UnreadableReport, decode, parse_json_text

LOG = logging.getLogger(__name__)
# Files in a report directory that are documentation, never reports.
_NOT_REPORTS = {".md", ".rst"}


@dataclass(frozen=True, slots=True)
class ReportSummary:
    name: str
    scanner: str
    findings: int
    notes: tuple[str, ...]


@dataclass(slots=True)
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    errors: list[ReportError] = field(default_factory=list)
    reports: list[ReportSummary] = field(default_factory=list)
    duplicates: int = 0

    @property
    def scanners(self) -> set[str]:
        """Scanners that delivered a readable report: only their previous findings may be archived."""
        return {report.scanner for report in self.reports} | {finding.scanner for finding in self.findings}


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; directories walked in sorted order, skipping hidden files and documentation."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                hidden = any(part.startswith(".") for part in relative.parts)
                if child.is_file() and not hidden and child.suffix.lower() not in _NOT_REPORTS:
                    yield child
        else:
            yield path


def process(sources: Iterable[tuple[str, Callable[[], bytes]]]) -> ScanResult:
    """Each source is (name, read): a report that fails is recorded and the others still run."""
    result = ScanResult()
    seen: set[str] = set()
    for name, read in sources:
        try:
            scanner, findings, ctx = parse_report(name, read)
        except UnreadableReport as error:
            LOG.error("report %s %s", name, error)
            result.errors.append(ReportError(name, f"{name} {error}"))
            continue
        fingerprints = {finding.fingerprint for finding in findings}
        if len(fingerprints) == len(findings) and seen.isdisjoint(fingerprints):
            # The usual case, no issue reported twice: the whole report is kept, checked in one set
            # operation rather than finding by finding.
            seen |= fingerprints
            result.findings.extend(findings)
            kept = len(findings)
        else:
            kept = 0
            for finding in findings:
                if finding.fingerprint in seen:
                    result.duplicates += 1  # same issue reported twice (e.g. semgrep repeated rule matches)
                    continue
                seen.add(finding.fingerprint)
                result.findings.append(finding)
                kept += 1
        result.gaps.extend(ctx.gaps)
        result.reports.append(ReportSummary(name, scanner, kept, tuple(ctx.notes)))
        LOG.info("report %s: %s, %d finding(s), %d coverage gap(s)", name, scanner, kept, len(ctx.gaps))
    return result


def parse_report(name: str, read: Callable[[], bytes]) -> tuple[str, list[Finding], ReportContext]:
    """Parse one report completely or not at all (UnreadableReport says what is wrong)."""
    with paused():  # the document and its findings hold no reference cycles
        return _parse(name, read)


def _parse(name: str, read: Callable[[], bytes]) -> tuple[str, list[Finding], ReportContext]:
    try:
        raw = read()
    except OSError as error:
        raise UnreadableReport(f"cannot be read ({error.strerror or type(error).__name__})") from None
    text = decode(raw)
    del raw  # the bytes are not needed once decoded; keeps the peak close to json.load's
    doc = parse_json_text(text)
    del text
    scanner, parser = detect(doc, name)
    ctx = ReportContext(source_report=name)
    try:
        findings = _distinct(parser(doc, ctx), ctx)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as error:
        # The shape matched a scanner but the content did not: name the problem, never the content.
        problem = f"looks like {scanner} output but has an unexpected structure ({type(error).__name__})"
        raise UnreadableReport(problem) from None
    return scanner, findings, ctx


def _distinct(findings: Iterable[Finding], ctx: ReportContext) -> list[Finding]:
    """Give each distinct finding of a report its own fingerprint.

    Identical code flagged twice (same rule, file and snippet) shares a fingerprint: later occurrences
    get an ordinal. A finding repeated field for field is one finding and is dropped, except a secret,
    whose distinguishing part (the secret itself) was deliberately left out.
    """
    parsed = list(findings)
    if len({finding.fingerprint for finding in parsed}) == len(parsed):
        # The usual case, every fingerprint distinct: nothing to number or drop.
        return parsed
    kept: list[Finding] = []
    by_fingerprint: dict[str, list[Finding]] = {}
    dropped = 0
    for finding in parsed:
        same = by_fingerprint.get(finding.fingerprint)
        if same is None:
            # A fingerprint not seen before: one lookup, and no ordinal to add.
            by_fingerprint[finding.fingerprint] = [finding]
            kept.append(finding)
            continue
        if finding in same and finding.category is not Category.SECRET:
            dropped += 1
            continue
        occurrence = len(same)
        same.append(finding)
        kept.append(
            replace(finding, fingerprint=fingerprint(finding.scanner, finding.fingerprint, occurrence))
            if occurrence
            else finding
        )
    if dropped:
        ctx.notes.append(f"{dropped} repeated finding(s) dropped")
    return kept


def file_sources(paths: Iterable[Path]) -> Iterator[tuple[str, Callable[[], bytes]]]:
    for path in expand_paths(paths):
        yield str(path), path.read_bytes
