"""Reads a synthesized cloud assembly (`cdk.out`) into plain data: stages, stacks, resources.

The diagram and the cost estimate both read templates, never the CDK app itself, so they describe
exactly what CloudFormation would deploy. Cross-stack references (`Fn::GetStackOutput`,
`Fn::ImportValue`) are followed back to the resource that owns the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"


class AssemblyError(ValueError):
    """The directory is not a complete cloud assembly; the message says what to run."""


@dataclass(frozen=True)
class Stack:
    # "Dev-Network": the CloudFormation stack name that cross-stack references use.
    name: str
    # "Network": the construct id of the stack inside its stage (or the app, for Baseline/Delivery).
    stack_id: str
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in sorted(self.resources.items()) if v.get("Type") == resource_type}


@dataclass(frozen=True)
class ResourceRef:
    stack: Stack
    logical_id: str

    @property
    def resource(self) -> dict[str, Any]:
        return self.stack.resources[self.logical_id]

    @property
    def type(self) -> str:
        return str(self.resource.get("Type", ""))

    @property
    def key(self) -> tuple[str, str]:
        return (self.stack.name, self.logical_id)


@dataclass(frozen=True)
class Stage:
    """One environment: its stacks by construct id (Keys, Network, Data, Service)."""

    stage_id: str
    stacks: dict[str, Stack] = field(default_factory=dict)

    @property
    def environment(self) -> str:
        return self.stage_id.lower()

    def stack_by_name(self, name: str) -> Stack | None:
        return next((s for s in self.stacks.values() if s.name == name), None)

    def resolve(self, value: Any, within: Stack) -> ResourceRef | None:
        """The resource a `Ref`/`Fn::GetAtt`/cross-stack reference in `within` points at, if any."""
        return resolve(value, within, list(self.stacks.values()))


@dataclass(frozen=True)
class CloudAssembly:
    outdir: Path
    stages: tuple[Stage, ...]
    # App-level stacks outside any stage: Baseline (one per account), Delivery.
    app_stacks: dict[str, Stack]

    def stage(self, environment: str) -> Stage:
        for stage in self.stages:
            if stage.environment == environment:
                return stage
        known = ", ".join(s.environment for s in self.stages)
        raise AssemblyError(f"no stage for environment {environment!r} in {self.outdir}; synthesized: {known}")

    @property
    def baselines(self) -> dict[str, Stack]:
        return {k: v for k, v in sorted(self.app_stacks.items()) if k == "Baseline" or k.startswith("Baseline-")}

    @property
    def delivery(self) -> Stack | None:
        return self.app_stacks.get("Delivery")


def load(outdir: Path) -> CloudAssembly:
    manifest_path = outdir / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{outdir} holds no cloud assembly (no manifest.json): run `make synth` first")
    manifest = json.loads(manifest_path.read_text())
    stages: list[Stage] = []
    app_stacks: dict[str, Stack] = {}
    # Manifest order is the app's construction order: the stages come in promotion order.
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        kind = artifact.get("type")
        if kind == NESTED_ASSEMBLY and artifact_id.startswith("assembly-"):
            nested = outdir / artifact["properties"]["directoryName"]
            stage = Stage(stage_id=artifact_id.removeprefix("assembly-"))
            stage.stacks.update(_stacks(nested))
            stages.append(stage)
        elif kind == STACK_ARTIFACT:
            stack = _stack(outdir, artifact_id, artifact)
            app_stacks[stack.stack_id] = stack
    return CloudAssembly(outdir=outdir, stages=tuple(stages), app_stacks=app_stacks)


def _stacks(directory: Path) -> dict[str, Stack]:
    manifest = json.loads((directory / "manifest.json").read_text())
    stacks: dict[str, Stack] = {}
    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") == STACK_ARTIFACT:
            stack = _stack(directory, artifact_id, artifact)
            stacks[stack.stack_id] = stack
    return stacks


def _stack(directory: Path, artifact_id: str, artifact: dict[str, Any]) -> Stack:
    properties = artifact.get("properties", {})
    template_path = directory / properties["templateFile"]
    if not template_path.is_file():
        raise AssemblyError(f"{template_path} is missing: the assembly is incomplete, run `make synth` again")
    # displayName is the construct path: "Dev/Network" for a staged stack, "Baseline" for an app-level one.
    stack_id = str(artifact.get("displayName", artifact_id)).split("/")[-1]
    return Stack(
        name=str(properties.get("stackName", artifact_id)),
        stack_id=stack_id,
        template=json.loads(template_path.read_text()),
    )


def resolve(value: Any, within: Stack, stacks: list[Stack], depth: int = 0) -> ResourceRef | None:
    """Follows `Ref`, `Fn::GetAtt`, `Fn::GetStackOutput` and `Fn::ImportValue` to a resource."""
    if depth > 8 or not isinstance(value, dict) or len(value) != 1:
        return None
    [(function, argument)] = value.items()
    if function in ("Ref", "Fn::GetAtt"):
        if function == "Ref":
            logical_id = argument if isinstance(argument, str) else ""
        else:
            logical_id = argument[0] if isinstance(argument, list) else str(argument).split(".")[0]
        return ResourceRef(within, logical_id) if logical_id in within.resources else None
    found = _output(function, argument, stacks)
    return None if found is None else resolve(found[1], found[0], stacks, depth + 1)


def _output(function: str, argument: Any, stacks: list[Stack]) -> tuple[Stack, Any] | None:
    """The producing stack and the value of the output a cross-stack reference reads."""
    for producer in stacks:
        outputs: dict[str, Any] = producer.template.get("Outputs", {})
        if function == "Fn::GetStackOutput" and isinstance(argument, dict):
            if producer.name == argument.get("StackName") and argument.get("OutputName") in outputs:
                return producer, outputs[argument["OutputName"]].get("Value")
        elif function == "Fn::ImportValue":
            for output in outputs.values():
                if output.get("Export", {}).get("Name") == argument:
                    return producer, output.get("Value")
    return None


def path_of(resource: dict[str, Any]) -> str:
    """The construct path CDK records in the resource's metadata (empty when path metadata is off)."""
    return str(resource.get("Metadata", {}).get("aws:cdk:path", ""))


def tag(resource: dict[str, Any], key: str) -> str | None:
    for entry in resource.get("Properties", {}).get("Tags", []) or []:
        if isinstance(entry, dict) and entry.get("Key") == key:
            return str(entry.get("Value"))
    return None
