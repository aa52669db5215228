"""Loads `acknowledgements.toml` and applies each entry to the constructs it names.

An entry acknowledges listed findings on the constructs at one path (`*` matches within one path segment).
By default (`scope = "stage"`) the path is relative to each environment's stage and the entry names
the profiles it applies to; a lean-profile trade-off may name only the lean profile. An entry with
`scope = "baseline"` applies to every account baseline stack, and one with `scope = "delivery"` to the
delivery (pipeline) stack, its path relative to that stack; neither has a profile, so such an entry
names none. An entry that matches no construct is refused
as stale, so the list never carries dead or over-broad acknowledgements.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import tomllib
import typing
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import region_info
from constructs import IConstruct, Node

from compliance.rule_packs import PACK_NAMES
from config.model import EnvironmentConfig, Profile

ACKNOWLEDGEMENTS_FILE = Path(__file__).resolve().parent / "acknowledgements.toml"
_FINDING_ID = re.compile(r"^(?P<pack>[A-Za-z0-9.]+)::(?P=pack)-[A-Za-z0-9]+(\[[^\]]+\])?$")
# Keys each scope requires; `scope` itself may be left out for a stage entry.
_STAGE_KEYS = {"path", "findings", "profiles", "lean_trade_off", "reason"}
# Baseline and delivery stacks are app-level and profile-less: their entries name no profiles.
_STACK_KEYS = {"scope", "path", "findings", "reason"}


class Scope(StrEnum):
    STAGE = "stage"
    BASELINE = "baseline"
    DELIVERY = "delivery"


class AcknowledgementError(ValueError):
    pass


@dataclass(frozen=True)
class Acknowledgement:
    path: str
    findings: tuple[str, ...]
    # Empty for a baseline entry: a baseline has no profile.
    profiles: tuple[Profile, ...]
    lean_trade_off: bool
    reason: str
    scope: Scope = Scope.STAGE
    # A boolean configuration field (e.g. "service.enable_ecs_exec"): the entry applies only where it is true.
    when: str | None = None


@dataclass(frozen=True)
class AppliedAcknowledgement:
    # The environment's name, or the baseline stack's id for a baseline entry.
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
    scope = entry.get("scope", Scope.STAGE.value)
    if scope not in [s.value for s in Scope]:
        raise AcknowledgementError(
            f"{where}: 'scope' = {scope!r} is not allowed; allowed: {', '.join(s.value for s in Scope)}"
        )
    required = _STAGE_KEYS if scope == Scope.STAGE else _STACK_KEYS
    # `when` (stage entries only) names a boolean config field; the entry then applies only where it is true.
    allowed = required | ({"scope", "when"} if scope == Scope.STAGE else {"scope"})
    unknown = set(entry) - allowed
    missing = required - set(entry)
    if unknown or missing:
        raise AcknowledgementError(
            f"{where}: keys of a {scope} entry must be exactly {sorted(allowed)}; "
            f"unknown {sorted(unknown)}, missing {sorted(missing)}"
            + (f"; a {scope} stack has no profile, so it names no profiles and no lean trade-off" if unknown else "")
        )
    path, findings, reason = entry["path"], entry["findings"], entry["reason"]
    if not isinstance(path, str) or not path:
        raise AcknowledgementError(f"{where}: 'path' must be a construct path relative to the {scope}")
    if not isinstance(findings, list) or not findings or not all(isinstance(f, str) for f in findings):
        raise AcknowledgementError(f"{where} ({path}): 'findings' must be a non-empty list of finding ids")
    for finding in findings:
        match = _FINDING_ID.match(finding)
        if not match or match.group("pack") not in PACK_NAMES:
            raise AcknowledgementError(
                f"{where} ({path}): finding {finding!r} must read '<pack>::<pack>-<rule>[<finding>]' "
                f"with a pack among {', '.join(PACK_NAMES)}"
            )
    if not isinstance(reason, str) or len(reason.split()) < 6:
        raise AcknowledgementError(f"{where} ({path}): 'reason' must explain the decision to a reviewer")
    if scope != Scope.STAGE:
        return Acknowledgement(
            path=path,
            findings=tuple(findings),
            profiles=(),
            lean_trade_off=False,
            reason=" ".join(reason.split()),
            scope=Scope(scope),
        )
    profiles, trade_off = entry["profiles"], entry["lean_trade_off"]
    if not isinstance(profiles, list) or not profiles or any(p not in [v.value for v in Profile] for p in profiles):
        raise AcknowledgementError(f"{where} ({path}): 'profiles' must list 'lean' and/or 'enterprise'")
    if not isinstance(trade_off, bool):
        raise AcknowledgementError(f"{where} ({path}): 'lean_trade_off' must be true or false")
    if trade_off and profiles != [Profile.LEAN.value]:
        raise AcknowledgementError(
            f"{where} ({path}): a lean trade-off applies to the lean profile only; profiles = {profiles}"
        )
    when = entry.get("when")
    if when is not None and (not isinstance(when, str) or when not in _BOOLEAN_FIELDS):
        raise AcknowledgementError(
            f"{where} ({path}): 'when' = {when!r} must name a boolean configuration field: "
            f"{', '.join(sorted(_BOOLEAN_FIELDS))}"
        )
    return Acknowledgement(
        path=path,
        findings=tuple(findings),
        profiles=tuple(Profile(p) for p in profiles),
        lean_trade_off=trade_off,
        reason=" ".join(reason.split()),
        when=when,
    )


def apply_acknowledgements(
    stage: cdk.Stage, env: EnvironmentConfig, acknowledgements: tuple[Acknowledgement, ...]
) -> tuple[AppliedAcknowledgement, ...]:
    applicable = [
        a
        for a in acknowledgements
        if a.scope == Scope.STAGE and env.profile in a.profiles and (a.when is None or _flag(env, a.when))
    ]
    return _apply(stage, f"environment {env.name!r}", env.name, applicable)


def apply_stack_acknowledgements(
    stack: cdk.Stack, scope: Scope, acknowledgements: tuple[Acknowledgement, ...], *, accounts: Collection[str] = ()
) -> tuple[AppliedAcknowledgement, ...]:
    """The entries of `scope` (baseline or delivery), applied to one app-level stack (paths relative to it).

    `accounts`: other accounts the stack's ARNs may name (the Delivery stack's policies name each environment's).
    """
    if scope == Scope.STAGE:
        raise ValueError("stage entries apply per environment: use apply_acknowledgements")
    applicable = [a for a in acknowledgements if a.scope == scope]
    return _apply(stack, f"{scope} stack {stack.node.id!r}", stack.node.id, applicable, accounts)


def _apply(
    root: IConstruct,
    where: str,
    label: str,
    acknowledgements: list[Acknowledgement],
    accounts: Collection[str] = (),
) -> tuple[AppliedAcknowledgement, ...]:
    applied: list[AppliedAcknowledgement] = []
    tree = _ConstructPaths(root)
    pinned = _PinnedStacks(accounts)
    # Every finding acknowledged on one construct goes over in one call: each jsii round trip costs
    # about a millisecond, and hundreds of entries share constructs.
    rules: dict[str, tuple[IConstruct, list[cdk.Acknowledgment]]] = {}
    for ack in acknowledgements:
        matches = sorted(tree.find(ack.path), key=lambda match: match[0])
        if not matches:
            raise AcknowledgementError(
                f"acknowledgement for {ack.path!r} matches no construct in {where}: remove it or correct the path"
            )
        for path, construct in matches:
            on_construct = rules.setdefault(path, (construct, []))[1]
            for finding in ack.findings:
                for rendered in pinned.as_printed(finding, construct):
                    on_construct.append(cdk.Acknowledgment(id=rendered, reason=ack.reason))
                applied.append(AppliedAcknowledgement(label, path, finding, ack.lean_trade_off, ack.reason))
    for construct, acknowledged in rules.values():
        cdk.Validations.of(construct).acknowledge(*acknowledged)
    return tuple(applied)


class _PinnedStacks:
    """Findings as the rule packs print them in stacks pinned to an account and region.

    Entries are written for environment-agnostic stacks, where ARNs keep the pseudo parameters
    (`<AWS::Partition>`, `<AWS::Region>`, `<AWS::AccountId>`). In a pinned stack aws-cdk-lib writes
    them into ARNs as literals; an ARN's account may then also be one of `accounts`. Each construct's
    stack and each stack's environment is read once (jsii returns the same object for the same construct).
    """

    def __init__(self, accounts: Collection[str]) -> None:
        self._accounts = accounts
        self._stacks: dict[IConstruct, cdk.Stack] = {}
        self._environments: dict[cdk.Stack, tuple[str, str] | None] = {}

    def as_printed(self, finding: str, construct: IConstruct) -> list[str]:
        """`finding` as written and, in a pinned stack, as printed there."""
        if "<AWS::" not in finding:
            return [finding]
        if construct not in self._stacks:
            self._stacks[construct] = cdk.Stack.of(construct)
        environment = self._environment(self._stacks[construct])
        if environment is None:
            return [finding]
        account, region = environment
        partition = region_info.RegionInfo.get(region).partition or "<AWS::Partition>"
        pinned = finding.replace("<AWS::Partition>", partition).replace("<AWS::Region>", region)
        return [finding, *sorted({pinned.replace("<AWS::AccountId>", a) for a in {account, *self._accounts}})]

    def _environment(self, stack: cdk.Stack) -> tuple[str, str] | None:
        if stack not in self._environments:
            account, region = stack.account, stack.region
            pinned = not (cdk.Token.is_unresolved(account) or cdk.Token.is_unresolved(region))
            self._environments[stack] = (account, region) if pinned else None
        return self._environments[stack]


class _ConstructPaths:
    """Finds constructs under a root by path pattern, one segment at a time.

    Walking a pattern's segments touches only the constructs on its way; listing every construct of
    a stage and asking each for its path costs a jsii round trip per construct (seconds per synth).
    Entries share long path prefixes, so each prefix is resolved once, and each construct's `node`
    (itself a round trip) is fetched once. A `*` matches within one segment: construct ids never
    contain a slash.
    """

    def __init__(self, root: IConstruct) -> None:
        # Pattern prefix already walked ("" is the root) -> its matches as (path, construct).
        self._resolved: dict[str, list[tuple[str, IConstruct]]] = {"": [("", root)]}
        self._nodes: dict[str, Node] = {}
        # Path -> its children as (path, construct), for patterns with a wildcard below it.
        self._children: dict[str, list[tuple[str, IConstruct]]] = {}

    def find(self, pattern: str) -> list[tuple[str, IConstruct]]:
        """The constructs whose path relative to the root matches `pattern`."""
        segments = pattern.split("/")
        for depth in range(1, len(segments) + 1):
            prefix = "/".join(segments[:depth])
            if prefix in self._resolved:
                continue
            segment = segments[depth - 1]
            found: list[tuple[str, IConstruct]] = []
            for path, construct in self._resolved["/".join(segments[: depth - 1])]:
                parent = f"{path}/" if path else ""
                if any(glob in segment for glob in "*?["):
                    found.extend(
                        (child_path, child)
                        for child_path, child in self._listed(path, construct)
                        if fnmatch.fnmatchcase(child_path.rsplit("/", 1)[-1], segment)
                    )
                else:
                    named = self._node(path, construct).try_find_child(segment)
                    if named is not None:
                        found.append((parent + segment, named))
            self._resolved[prefix] = found
        return self._resolved[pattern]

    def _listed(self, path: str, construct: IConstruct) -> list[tuple[str, IConstruct]]:
        # Listed once, however many patterns have a wildcard below the same construct.
        children = self._children.get(path)
        if children is None:
            parent = f"{path}/" if path else ""
            children = self._children[path] = []
            for child in self._node(path, construct).children:
                child_node = child.node
                child_path = parent + child_node.id
                children.append((child_path, child))
                self._nodes[child_path] = child_node
        return children

    def _node(self, path: str, construct: IConstruct) -> Node:
        node = self._nodes.get(path)
        if node is None:
            node = self._nodes[path] = construct.node
        return node


def _boolean_fields(cls: type, prefix: str = "") -> set[str]:
    """Dotted paths of the boolean fields of the environment configuration, e.g. `service.enable_ecs_exec`."""
    fields: set[str] = set()
    for name, annotation in typing.get_type_hints(cls).items():
        if annotation is bool:
            fields.add(prefix + name)
        elif isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            fields |= _boolean_fields(annotation, f"{prefix}{name}.")
    return fields


_BOOLEAN_FIELDS = _boolean_fields(EnvironmentConfig)


def _flag(env: EnvironmentConfig, dotted: str) -> bool:
    value: object = env
    for part in dotted.split("."):
        value = getattr(value, part)
    return value is True
