"""Loads `acknowledgements.toml` and applies each entry to the constructs it names.

An entry acknowledges listed findings on the constructs at one path (relative to the environment's
stage; `*` matches within the path) for the profiles it names. A lean-profile trade-off may name
only the lean profile, and an entry that matches no construct is refused as stale, so the list
never carries dead or over-broad acknowledgements.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from constructs import IConstruct

from compliance.rule_packs import PACK_NAMES
from config.model import EnvironmentConfig, Profile

ACKNOWLEDGEMENTS_FILE = Path(__file__).resolve().parent / "acknowledgements.toml"
_FINDING_ID = re.compile(r"^(?P<pack>[A-Za-z0-9.]+)::(?P=pack)-[A-Za-z0-9]+(\[[^\]]+\])?$")
_KEYS = {"path", "findings", "profiles", "lean_trade_off", "reason"}


class AcknowledgementError(ValueError):
    pass


@dataclass(frozen=True)
class Acknowledgement:
    path: str
    findings: tuple[str, ...]
    profiles: tuple[Profile, ...]
    lean_trade_off: bool
    reason: str


@dataclass(frozen=True)
class AppliedAcknowledgement:
    environment: str
    construct_path: str
    finding: str
    lean_trade_off: bool
    reason: str


def load_acknowledgements(path: Path = ACKNOWLEDGEMENTS_FILE) -> tuple[Acknowledgement, ...]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    entries = raw.get("acknowledgement", [])
    return tuple(_parse(index, entry, path.name) for index, entry in enumerate(entries, start=1))


def _parse(index: int, entry: dict[str, object], file_name: str) -> Acknowledgement:
    where = f"{file_name}: acknowledgement #{index}"
    unknown = set(entry) - _KEYS
    missing = _KEYS - set(entry)
    if unknown or missing:
        raise AcknowledgementError(
            f"{where}: keys must be exactly {sorted(_KEYS)}; unknown {sorted(unknown)}, missing {sorted(missing)}"
        )
    path, findings, profiles = entry["path"], entry["findings"], entry["profiles"]
    reason, trade_off = entry["reason"], entry["lean_trade_off"]
    if not isinstance(path, str) or not path:
        raise AcknowledgementError(f"{where}: 'path' must be a construct path relative to the stage")
    if not isinstance(findings, list) or not findings or not all(isinstance(f, str) for f in findings):
        raise AcknowledgementError(f"{where} ({path}): 'findings' must be a non-empty list of finding ids")
    for finding in findings:
        match = _FINDING_ID.match(finding)
        if not match or match.group("pack") not in PACK_NAMES:
            raise AcknowledgementError(
                f"{where} ({path}): finding {finding!r} must read '<pack>::<pack>-<rule>[<finding>]' "
                f"with a pack among {', '.join(PACK_NAMES)}"
            )
    if not isinstance(profiles, list) or not profiles or any(p not in [v.value for v in Profile] for p in profiles):
        raise AcknowledgementError(f"{where} ({path}): 'profiles' must list 'lean' and/or 'enterprise'")
    if not isinstance(trade_off, bool):
        raise AcknowledgementError(f"{where} ({path}): 'lean_trade_off' must be true or false")
    if trade_off and profiles != [Profile.LEAN.value]:
        raise AcknowledgementError(
            f"{where} ({path}): a lean trade-off applies to the lean profile only; profiles = {profiles}"
        )
    if not isinstance(reason, str) or len(reason.split()) < 6:
        raise AcknowledgementError(f"{where} ({path}): 'reason' must explain the decision to a reviewer")
    return Acknowledgement(
        path=path,
        findings=tuple(findings),
        profiles=tuple(Profile(p) for p in profiles),
        lean_trade_off=trade_off,
        reason=" ".join(reason.split()),
    )


def apply_acknowledgements(
    stage: cdk.Stage, env: EnvironmentConfig, acknowledgements: tuple[Acknowledgement, ...]
) -> tuple[AppliedAcknowledgement, ...]:
    constructs = {_relative_path(stage, c): c for c in stage.node.find_all() if c is not stage}
    applied: list[AppliedAcknowledgement] = []
    for ack in acknowledgements:
        if env.profile not in ack.profiles:
            continue
        matches = sorted(path for path in constructs if fnmatch.fnmatchcase(path, ack.path))
        if not matches:
            raise AcknowledgementError(
                f"acknowledgement for {ack.path!r} matches no construct in environment {env.name!r}: "
                "remove it or correct the path"
            )
        for path in matches:
            for finding in ack.findings:
                cdk.Validations.of(constructs[path]).acknowledge(cdk.Acknowledgment(id=finding, reason=ack.reason))
                applied.append(AppliedAcknowledgement(env.name, path, finding, ack.lean_trade_off, ack.reason))
    return tuple(applied)


def _relative_path(stage: cdk.Stage, construct: IConstruct) -> str:
    return construct.node.path.removeprefix(stage.node.path + "/")
