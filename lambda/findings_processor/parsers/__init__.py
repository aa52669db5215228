"""One small parser per scanner; `detect` recognises a report by its shape, not its file name."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import Any

from findings_processor.model import Finding, ReportContext
from findings_processor.reading import UnreadableReport

Parser = Callable[[Any, ReportContext], Iterator[Finding]]

# (module, scanner name) in detection order. Order matters only where shapes overlap: SARIF and
# semgrep before bandit (all have `results`). A parser module is imported when detection reaches
# it, so a run compiles and loads only the parsers up to the one its reports need.
_PARSERS: tuple[tuple[str, str], ...] = (
    ("sarif", "sarif"),
    ("semgrep", "semgrep"),
    ("bandit", "bandit"),
    ("checkov", "checkov"),
    ("trivy", "trivy"),
    ("grype", "grype"),
    ("pip_audit", "pip-audit"),
    ("safety", "safety"),
    ("gitleaks", "gitleaks"),
    ("trufflehog", "trufflehog"),
    ("cdk_drift", "cdk-drift"),
)

SCANNERS = tuple(name for module, name in _PARSERS if module != "sarif")


def _no_findings(_doc: Any, _ctx: ReportContext) -> Iterator[Finding]:
    return iter(())


def detect(doc: Any, name: str) -> tuple[str, Parser]:
    """The scanner and parser for a document, or UnreadableReport saying why none fits."""
    if doc is None or (isinstance(doc, list | dict) and not doc):
        # `null` (gitleaks v7, old trivy) and `[]` (gitleaks v8, safety v1, checkov) all mean "nothing found"
        # and carry no scanner name: the path is the only hint left.
        return _scanner_from_path(name), _no_findings
    for module_name, _ in _PARSERS:
        module = importlib.import_module(f"{__name__}.{module_name}")
        if module.matches(doc):
            return module.SCANNER, module.parse
    raise UnreadableReport(_unknown_format(doc))


def _scanner_from_path(name: str) -> str:
    lowered = [part.lower() for part in PurePath(name).parts]
    for scanner in (*SCANNERS, "pip_audit"):
        if any(scanner in part for part in lowered):
            return scanner.replace("_", "-")
    return "unknown"


def _unknown_format(doc: Any) -> str:
    first = doc[0] if isinstance(doc, list) and doc else None
    if isinstance(first, dict) and ("stringsFound" in first or "reason" in first) and "commitHash" in first:
        return "is a trufflehog v2 report, which is not supported: run trufflehog v3 with --json"
    if isinstance(first, dict) and isinstance(first.get("rule"), dict) and "path" in first:
        return "is a trufflehog3 (feeltheajf) report, which is not supported: run trufflehog v3 with --json"
    if isinstance(doc, dict) and isinstance(doc.get("Findings"), list):
        return "is already ASFF (a BatchImportFindings body), not a scanner report"
    if isinstance(doc, dict):
        keys = ", ".join(sorted(str(key) for key in list(doc)[:8]))
        return f"is JSON of an unknown format (an object with keys: {keys[:200]})"
    if isinstance(doc, list):
        return f"is JSON of an unknown format (a list of {type(first).__name__})"
    return f"is JSON of an unknown format (a bare {type(doc).__name__})"
