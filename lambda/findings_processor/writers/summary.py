"""The gate verdict as Markdown for a pull-request comment or a build log: blocking items first."""

from __future__ import annotations

import re
from collections import Counter

from findings_processor.gate import Decision, GateResult
from findings_processor.model import Severity

LISTED = 50
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_|<>\[\]])")
_SEVERITIES = sorted(Severity, reverse=True)


def _md(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def render(gate: GateResult, *, reports: int | None = None) -> str:
    lines = [f"## Security gate: {'PASS' if gate.passed else 'BLOCKED'}", "", _md(gate.headline(), 400), ""]
    policy = gate.policy
    lines.append(
        f"Policy for **{_md(gate.env)}**: findings at or above **{policy.block_at.name}** block, secrets always block, "
        f"coverage gaps {'block' if policy.coverage_gaps_block else 'are reported but do not block'}."
    )
    if reports is not None:
        lines.append(f"Reports read: {reports}; unreadable: {len(gate.errors)}.")
    lines.append("")
    blocking = gate.blocking
    if blocking:
        lines += [f"### Blocking findings ({len(blocking)})", "", "| Severity | Scanner | Rule | Location | Why |"]
        lines.append("|---|---|---|---|---|")
        ordered = sorted(blocking, key=lambda v: (-v.finding.severity, v.finding.scanner, v.finding.rule_id))
        for verdict in ordered[:LISTED]:
            finding = verdict.finding
            lines.append(
                f"| {finding.severity.name} | {_md(finding.scanner)} | {_md(finding.rule_id, 80)} "
                f"| {_md(finding.location, 100)} | {_md(verdict.reason, 200)} |"
            )
        if len(blocking) > LISTED:
            lines.append(f"| … | | | | and {len(blocking) - LISTED} more |")
        lines.append("")
    if gate.gaps:
        heading = "blocking" if policy.coverage_gaps_block else "not blocking here"
        lines += [f"### Coverage gaps ({len(gate.gaps)}, {heading})", ""]
        for gap in gate.gaps[:LISTED]:
            lines.append(f"- **{_md(gap.scanner)}** could not check `{_md(gap.what, 100)}`: {_md(gap.reason, 200)}")
        if len(gate.gaps) > LISTED:
            lines.append(f"- and {len(gate.gaps) - LISTED} more")
        lines.append("")
    if gate.errors:
        lines += [f"### Unreadable reports ({len(gate.errors)})", ""]
        lines += [f"- {_md(error.message, 300)}" for error in gate.errors[:LISTED]]
        lines.append("")
    lines += _counts(gate)
    excepted = [v for v in gate.verdicts if v.decision is Decision.EXCEPTED]
    if excepted:
        lines += [f"### Accepted by exception ({len(excepted)})", ""]
        for verdict in excepted[:LISTED]:
            lines.append(
                f"- {verdict.finding.severity.name} {_md(verdict.finding.rule_id, 80)} at "
                f"{_md(verdict.finding.location, 100)}: {_md(verdict.reason, 200)}"
            )
        lines.append("")
    return "\n".join(lines)


def _counts(gate: GateResult) -> list[str]:
    if not gate.verdicts:
        return ["No findings.", ""]
    per_scanner: dict[str, Counter[Severity]] = {}
    blocking: Counter[str] = Counter()
    for verdict in gate.verdicts:
        per_scanner.setdefault(verdict.finding.scanner, Counter())[verdict.finding.severity] += 1
        if verdict.decision is Decision.BLOCKS:
            blocking[verdict.finding.scanner] += 1
    header = "| Scanner | " + " | ".join(s.name for s in _SEVERITIES) + " | Total | Blocking |"
    lines = ["### Findings by scanner and severity", "", header, "|---" * (len(_SEVERITIES) + 3) + "|"]
    totals: Counter[Severity] = Counter()
    for scanner, counts in sorted(per_scanner.items()):
        totals.update(counts)
        cells = " | ".join(str(counts[s]) for s in _SEVERITIES)
        lines.append(f"| {_md(scanner)} | {cells} | {sum(counts.values())} | {blocking[scanner]} |")
    cells = " | ".join(f"**{totals[s]}**" for s in _SEVERITIES)
    lines.append(f"| **all** | {cells} | **{sum(totals.values())}** | **{sum(blocking.values())}** |")
    suppressed = sum(v.decision is Decision.SUPPRESSED for v in gate.verdicts)
    if suppressed:
        lines.append(f"\n{suppressed} finding(s) suppressed in source (not blocking; secrets excepted).")
    lines.append("")
    return lines


def short(gate: GateResult, limit: int) -> str:
    """A plain-text digest that fits a CodePipeline job result (2048 or 5000 characters)."""
    parts = [gate.headline()]
    for verdict in sorted(gate.blocking, key=lambda v: -v.finding.severity)[:10]:
        finding = verdict.finding
        parts.append(f"{finding.severity.name} {finding.scanner} {finding.rule_id} at {finding.location}")
    if gate.gaps_block:
        parts += [f"gap: {gap.scanner} {gap.what}: {gap.reason}" for gap in gate.gaps[:5]]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"
