"""The normalized finding model every parser produces and every writer consumes."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any, cast

_HEX64 = re.compile(r"[0-9a-f]{64}")


class Severity(enum.IntEnum):
    """ASFF severity labels, ordered so that comparisons mean 'at least as severe'."""

    INFORMATIONAL = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            allowed = ", ".join(member.name for member in cls)
            raise ValueError(f"unknown severity {name!r}; expected one of {allowed}") from None


class Category(enum.StrEnum):
    """What kind of problem a finding is; secrets are treated specially by the gate."""

    CODE = "code"
    VULNERABILITY = "vulnerability"
    MISCONFIGURATION = "misconfiguration"
    SECRET = "secret"  # noqa: S105 - a category name, not a credential
    LICENSE = "license"


@dataclass(frozen=True, slots=True)
class Finding:
    """One issue in one place, independent of the scanner that reported it."""

    scanner: str
    rule_id: str
    title: str
    description: str
    severity: Severity
    severity_original: str
    category: Category
    fingerprint: str
    confidence: str | None = None
    file: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    package: str | None = None
    version: str | None = None
    fixed_version: str | None = None
    image: str | None = None
    layer: str | None = None
    resource: str | None = None
    cves: tuple[str, ...] = ()
    cwes: tuple[str, ...] = ()
    reference_url: str | None = None
    suppressed: bool = False
    source_report: str = ""

    def __post_init__(self) -> None:
        # A finding that would be rejected downstream is a parser bug: fail where it is made.
        if not self.scanner.strip() or not self.rule_id.strip() or not self.title.strip():
            raise ValueError("finding needs a scanner, a rule id and a title")
        if not self.description.strip():
            raise ValueError("finding needs a description")
        if not isinstance(self.severity, Severity):
            raise TypeError(f"severity must be a Severity, got {self.severity!r}")
        if not _HEX64.fullmatch(self.fingerprint):
            raise ValueError("fingerprint must be 64 lower-case hex digits")
        if self.start_line is not None and self.start_line < 1:
            raise ValueError(f"start_line must be >= 1, got {self.start_line}")
        if self.end_line is not None and self.start_line is not None and self.end_line < self.start_line:
            raise ValueError("end_line must not precede start_line")

    @property
    def location(self) -> str:
        """A short human-readable place: file:line, package@version, image or resource."""
        if self.file:
            if self.start_line:
                return f"{self.file}:{self.start_line}"
            return self.file
        if self.package:
            return f"{self.package}@{self.version}" if self.version else self.package
        return self.resource or self.image or "(no location)"


class _Unfrozen:
    """Finding's slots in Finding's order, without the frozen __setattr__: see trusted_finding."""

    __slots__ = tuple(Finding.__dataclass_fields__)


if _Unfrozen.__slots__ != Finding.__slots__ or len(_Unfrozen.__slots__) != 23:  # trusted_finding names each
    raise RuntimeError("trusted_finding is out of date with Finding's fields")
_new = object.__new__


def trusted_finding(  # noqa: PLR0917 - one parameter per field, in order
    scanner: str,
    rule_id: str,
    title: str,
    description: str,
    severity: Severity,
    severity_original: str,
    category: Category,
    fingerprint: str,
    confidence: str | None,
    file: str | None,
    start_line: int | None,
    end_line: int | None,
    package: str | None,
    version: str | None,
    fixed_version: str | None,
    image: str | None,
    layer: str | None,
    resource: str | None,
    cves: tuple[str, ...],
    cwes: tuple[str, ...],
    reference_url: str | None,
    suppressed: bool,
    source_report: str,
) -> Finding:
    """A Finding from all its fields in order, without __init__ and __post_init__.

    Only for `parsers._common.build`, whose arguments are valid by construction or checked there:
    the generated frozen __init__ (keyword unpacking, 23 object.__setattr__ calls, validation)
    was a fifth of a finding's normalization on large reports. The fields are stored as plain
    attribute stores on an object of the same slot layout, which then becomes a Finding: CPython
    allows that class change between classes whose slots are identical (checked above). Equal,
    and hashing equal, to Finding(*the same values).
    """
    # Any: an _Unfrozen until its last line, a Finding from then on.
    finding: Any = _new(_Unfrozen)
    finding.scanner = scanner
    finding.rule_id = rule_id
    finding.title = title
    finding.description = description
    finding.severity = severity
    finding.severity_original = severity_original
    finding.category = category
    finding.fingerprint = fingerprint
    finding.confidence = confidence
    finding.file = file
    finding.start_line = start_line
    finding.end_line = end_line
    finding.package = package
    finding.version = version
    finding.fixed_version = fixed_version
    finding.image = image
    finding.layer = layer
    finding.resource = resource
    finding.cves = cves
    finding.cwes = cwes
    finding.reference_url = reference_url
    finding.suppressed = suppressed
    finding.source_report = source_report
    finding.__class__ = Finding
    return cast(Finding, finding)


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """A scanner that could not do part of its job: not a pass."""

    scanner: str
    source_report: str
    what: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReportError:
    """A report that could not be read at all."""

    source_report: str
    message: str


@dataclass(slots=True)
class ReportContext:
    """Collects what a parser learns besides findings while it iterates a report."""

    source_report: str
    gaps: list[CoverageGap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def gap(self, scanner: str, what: str, reason: str) -> None:
        self.gaps.append(CoverageGap(scanner, self.source_report, what, reason))
