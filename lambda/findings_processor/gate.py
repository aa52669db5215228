"""The gate: the environment's policy plus the exceptions file decide whether a scan may deploy."""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from findings_processor.model import Category, CoverageGap, Finding, ReportError, Severity


class GateConfigError(ValueError):
    """The policy or the exceptions file is invalid: a usage error, never a silent pass."""


@dataclass(frozen=True, slots=True)
class Policy:
    block_at: Severity
    coverage_gaps_block: bool

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], origin: str) -> Policy:
        block_at = data.get("block_at")
        if not isinstance(block_at, str):
            raise GateConfigError(f"{origin}: gate.block_at must be a severity name, got {block_at!r}")
        try:
            severity = Severity.parse(block_at)
        except ValueError as error:
            raise GateConfigError(f"{origin}: gate.block_at: {error}") from None
        gaps_block = data.get("coverage_gaps_block", False)
        if not isinstance(gaps_block, bool):
            raise GateConfigError(f"{origin}: gate.coverage_gaps_block must be true or false, got {gaps_block!r}")
        return cls(block_at=severity, coverage_gaps_block=gaps_block)

    def to_json(self) -> str:
        return json.dumps({"block_at": self.block_at.name, "coverage_gaps_block": self.coverage_gaps_block})


def load_policy(config_dir: Path, env: str) -> Policy:
    """`[gate]` of config/defaults.toml overlaid with config/<env>.toml (the platform's own merge order)."""
    import tomllib  # noqa: PLC0415 - only the command line reads TOML; the Lambda handler takes JSON

    merged: dict[str, Any] = {}
    for path, required in ((config_dir / "defaults.toml", False), (config_dir / f"{env}.toml", True)):
        if not path.is_file():
            if required:
                raise GateConfigError(f"no configuration for environment {env!r}: {path} does not exist")
            continue
        try:
            with path.open("rb") as handle:
                table = tomllib.load(handle).get("gate", {})
        except (tomllib.TOMLDecodeError, OSError) as error:
            raise GateConfigError(f"{path}: cannot be read: {error}") from None
        if not isinstance(table, dict):
            raise GateConfigError(f"{path}: [gate] must be a table")
        merged.update(table)
    return Policy.from_mapping(merged, f"{config_dir}/{{defaults,{env}}}.toml")


def policy_from_json(text: str, env: str) -> Policy:
    """GATE_POLICY for the Lambda: one policy object, or an object of them keyed by environment."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise GateConfigError(f"GATE_POLICY is not valid JSON: {error}") from None
    if isinstance(data, dict) and "block_at" not in data and isinstance(data.get(env), dict):
        data = data[env]
    if not isinstance(data, dict):
        raise GateConfigError(f"GATE_POLICY must be an object with block_at (or keyed by environment {env!r})")
    return Policy.from_mapping(data, "GATE_POLICY")


@dataclass(frozen=True, slots=True)
class GateException:
    """One reviewed acceptance of a finding, valid until the end of its expiry date."""

    owner: str
    reason: str
    expires: dt.date
    rule: str | None = None
    fingerprint: str | None = None
    scanner: str | None = None
    environments: tuple[str, ...] = ("*",)
    paths: tuple[str, ...] = ("*",)

    def covers(self, finding: Finding, env: str) -> bool:
        if self.fingerprint is not None and self.fingerprint != finding.fingerprint:
            return False
        if self.rule is not None and self.rule != finding.rule_id:
            return False
        if self.scanner is not None and self.scanner != finding.scanner:
            return False
        if not any(fnmatch.fnmatchcase(env, pattern) for pattern in self.environments):
            return False
        place = finding.file or finding.package or finding.resource or finding.image or ""
        return any(fnmatch.fnmatchcase(place, pattern) for pattern in self.paths)

    def describe(self) -> str:
        what = f"fingerprint {self.fingerprint[:12]}…" if self.fingerprint else f"rule {self.rule}"
        return f"{what} (owner {self.owner}, expires {self.expires.isoformat()}): {self.reason}"


_FIELDS = {"rule", "fingerprint", "scanner", "environments", "paths", "owner", "reason", "expires"}


def load_exceptions(path: Path) -> list[GateException]:
    import tomllib  # noqa: PLC0415

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise GateConfigError(f"exceptions file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, OSError) as error:
        raise GateConfigError(f"exceptions file {path} cannot be read: {error}") from None
    return parse_exceptions(data, str(path))


def parse_exceptions(data: Mapping[str, Any], origin: str) -> list[GateException]:
    entries = data.get("exception", [])
    if not isinstance(entries, list):
        raise GateConfigError(f"{origin}: use [[exception]] tables")
    return [_exception(entry, f"{origin}: exception #{number}") for number, entry in enumerate(entries, 1)]


def _exception(entry: Any, where: str) -> GateException:
    if not isinstance(entry, dict):
        raise GateConfigError(f"{where} must be a table")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise GateConfigError(f"{where} has unknown field(s) {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
    if ("rule" in entry) == ("fingerprint" in entry):
        raise GateConfigError(f"{where} needs exactly one of 'rule' or 'fingerprint'")
    for name in ("owner", "reason"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise GateConfigError(f"{where} needs a non-empty '{name}'")
    expires = entry.get("expires")
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise GateConfigError(f"{where} needs 'expires' as a TOML date (e.g. 2025-12-31), got {expires!r}")
    for name in ("rule", "fingerprint", "scanner"):
        if name in entry and (not isinstance(entry[name], str) or not entry[name].strip()):
            raise GateConfigError(f"{where}: '{name}' must be a non-empty string")
    lists = {}
    for name in ("environments", "paths"):
        value = entry.get(name, ["*"])
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise GateConfigError(f"{where}: '{name}' must be a non-empty list of strings")
        lists[name] = tuple(value)
    return GateException(
        owner=entry["owner"].strip(),
        reason=entry["reason"].strip(),
        expires=expires,
        rule=entry.get("rule"),
        fingerprint=entry.get("fingerprint"),
        scanner=entry.get("scanner"),
        environments=lists["environments"],
        paths=lists["paths"],
    )


class Decision(enum.StrEnum):
    BLOCKS = "blocks"
    BELOW_THRESHOLD = "below threshold"
    SUPPRESSED = "suppressed in source"
    EXCEPTED = "excepted"


@dataclass(frozen=True, slots=True)
class Verdict:
    finding: Finding
    decision: Decision
    reason: str


@dataclass(frozen=True, slots=True)
class GateResult:
    env: str
    policy: Policy
    verdicts: tuple[Verdict, ...]
    gaps: tuple[CoverageGap, ...]
    errors: tuple[ReportError, ...]

    @property
    def blocking(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.decision is Decision.BLOCKS]

    @property
    def gaps_block(self) -> bool:
        return bool(self.gaps) and self.policy.coverage_gaps_block

    @property
    def passed(self) -> bool:
        return not self.blocking and not self.gaps_block

    def headline(self) -> str:
        if self.passed:
            gaps = f", {len(self.gaps)} coverage gap(s) reported (not blocking here)" if self.gaps else ""
            return f"PASS for {self.env}: nothing at or above {self.policy.block_at.name} and no secrets{gaps}"
        reasons = []
        if self.blocking:
            reasons.append(f"{len(self.blocking)} blocking finding(s)")
        if self.gaps_block:
            reasons.append(f"{len(self.gaps)} coverage gap(s), which block in {self.env}")
        return f"BLOCKED for {self.env}: " + " and ".join(reasons)


def evaluate(
    findings: Iterable[Finding],
    *,
    env: str,
    policy: Policy,
    exceptions: Sequence[GateException] = (),
    gaps: Sequence[CoverageGap] = (),
    errors: Sequence[ReportError] = (),
    today: dt.date | None = None,
) -> GateResult:
    today = today or dt.datetime.now(dt.UTC).date()
    verdicts = []
    for finding in findings:
        verdicts.append(_verdict(finding, env, policy, exceptions, today))
    return GateResult(env, policy, tuple(verdicts), tuple(gaps), tuple(errors))


def _verdict(
    finding: Finding, env: str, policy: Policy, exceptions: Sequence[GateException], today: dt.date
) -> Verdict:
    is_secret = finding.category is Category.SECRET
    would_block = is_secret or finding.severity >= policy.block_at
    if not would_block:
        return Verdict(finding, Decision.BELOW_THRESHOLD, f"below {policy.block_at.name}")
    # An inline suppression is the author's own word: enough below secrets, never for a secret.
    if finding.suppressed and not is_secret:
        return Verdict(finding, Decision.SUPPRESSED, "suppressed in the source or by the scanner")
    matching = [exception for exception in exceptions if exception.covers(finding, env)]
    active = [exception for exception in matching if exception.expires >= today]
    if active:
        return Verdict(finding, Decision.EXCEPTED, "exception: " + active[0].describe())
    if matching:
        expired = max(matching, key=lambda exception: exception.expires)
        reason = f"exception EXPIRED on {expired.expires.isoformat()}: {expired.describe()}"
        return Verdict(finding, Decision.BLOCKS, reason)
    if is_secret:
        return Verdict(finding, Decision.BLOCKS, "secrets always block")
    return Verdict(finding, Decision.BLOCKS, f"{finding.severity.name} is at or above {policy.block_at.name}")
