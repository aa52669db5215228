"""Findings and the gate verdict → JUnit XML for CodeBuild report groups (one suite per scanner)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO

from findings_processor.gate import Decision, GateResult, Verdict

# XML 1.0 forbids most control characters, even escaped.
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Escaping as xml.sax.saxutils does it, written out here: importing that module pulls in
# urllib.request, http.client and email, which cost a Lambda cold start tens of milliseconds.
def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _text(value: str) -> str:
    return _escape(_NOT_XML.sub("", value))


def _attr(value: str) -> str:
    value = _escape(_NOT_XML.sub("", value)).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"{}"'.format(value.replace('"', "&quot;"))


def write(gate: GateResult, stream: IO[str]) -> None:
    suites: dict[str, list[Verdict]] = {}
    for verdict in gate.verdicts:
        suites.setdefault(verdict.finding.scanner, []).append(verdict)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f"<testsuites name={_attr('security scan: ' + gate.headline())}>\n")
    for scanner, verdicts in sorted(suites.items()):
        _suite(scanner, verdicts, stream)
    _gaps_and_errors(gate, stream)
    stream.write("</testsuites>\n")


def _suite(scanner: str, verdicts: Iterable[Verdict], stream: IO[str]) -> None:
    verdicts = list(verdicts)
    failures = sum(v.decision is Decision.BLOCKS for v in verdicts)
    skipped = sum(v.decision in (Decision.EXCEPTED, Decision.SUPPRESSED) for v in verdicts)
    stream.write(
        f'  <testsuite name={_attr(scanner)} tests="{len(verdicts)}" failures="{failures}"'
        f' errors="0" skipped="{skipped}">\n'
    )
    for verdict in verdicts:
        finding = verdict.finding
        name = f"{finding.severity.name} {finding.rule_id} at {finding.location}"
        stream.write(f"    <testcase classname={_attr(scanner)} name={_attr(name)}")
        if verdict.decision is Decision.BLOCKS:
            stream.write(">\n")
            body = f"{finding.title}\n\n{finding.description}\n\nfingerprint {finding.fingerprint}"
            stream.write(f"      <failure message={_attr(verdict.reason)} type={_attr(finding.severity.name)}>")
            stream.write(_text(body))
            stream.write("</failure>\n    </testcase>\n")
        elif verdict.decision in (Decision.EXCEPTED, Decision.SUPPRESSED):
            stream.write(f">\n      <skipped message={_attr(verdict.reason)}/>\n    </testcase>\n")
        else:
            stream.write("/>\n")
    stream.write("  </testsuite>\n")


def _gaps_and_errors(gate: GateResult, stream: IO[str]) -> None:
    if not gate.gaps and not gate.errors:
        return
    tag = "failure" if gate.policy.coverage_gaps_block else "error"
    stream.write(
        f'  <testsuite name="coverage" tests="{len(gate.gaps) + len(gate.errors)}"'
        f' failures="{len(gate.gaps) if tag == "failure" else 0}"'
        f' errors="{len(gate.errors) + (len(gate.gaps) if tag == "error" else 0)}" skipped="0">\n'
    )
    for gap in gate.gaps:
        name = f"{gap.scanner} could not check {gap.what}"
        stream.write(f'    <testcase classname="coverage.{_attr(gap.scanner)[1:-1]}" name={_attr(name)}>\n')
        stream.write(f"      <{tag} message={_attr(gap.reason)}>{_text(gap.source_report)}</{tag}>\n")
        stream.write("    </testcase>\n")
    for error in gate.errors:
        stream.write(f'    <testcase classname="coverage.unreadable" name={_attr(error.source_report)}>\n')
        stream.write(f"      <error message={_attr(error.message)}/>\n    </testcase>\n")
    stream.write("  </testsuite>\n")
