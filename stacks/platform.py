"""Builds the whole platform on an app: one stage per environment, one baseline stack per account,
acknowledgements, rule packs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk

from compliance.acknowledgements import (
    AppliedAcknowledgement,
    apply_acknowledgements,
    apply_baseline_acknowledgements,
    load_acknowledgements,
)
from compliance.rule_packs import register_rule_packs
from config import ConfigError
from config.baselines import BaselineConfig
from config.model import EnvironmentConfig
from stacks.baseline_stack import BaselineStack
from stacks.environment_stage import EnvironmentStage

# The image the service runs when no `-c image_tag=...` is given: synth and tests need one; every
# deployment passes the commit's tag (ECR tags are immutable, so a tag names one scanned build).
DEFAULT_IMAGE_TAG = "bootstrap"
# ECR's tag grammar.
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Platform:
    stages: tuple[EnvironmentStage, ...]
    acknowledgements: tuple[AppliedAcknowledgement, ...]
    baselines: tuple[BaselineStack, ...] = ()
    baseline_acknowledgements: tuple[AppliedAcknowledgement, ...] = ()


def build_platform(
    app: cdk.App,
    environments: Sequence[EnvironmentConfig],
    *,
    baselines: Sequence[BaselineConfig] = (),
    image_tag: str = DEFAULT_IMAGE_TAG,
) -> Platform:
    if not _IMAGE_TAG.match(image_tag):
        raise ConfigError(
            [
                f"context 'image_tag' = {image_tag!r} is not an image tag: letters, digits, '.', '_' and '-', "
                "at most 128 characters, not starting with '.' or '-'"
            ]
        )
    acknowledgements = load_acknowledgements()
    stages = tuple(EnvironmentStage(app, env_config=env, image_tag=image_tag) for env in environments)
    applied = tuple(
        ack for stage in stages for ack in apply_acknowledgements(stage, stage.env_config, acknowledgements)
    )
    # App-level stacks, not part of any stage: an account's baseline outlives its environments.
    baseline_stacks = tuple(BaselineStack(app, baseline=baseline) for baseline in baselines)
    baseline_applied = tuple(
        ack for stack in baseline_stacks for ack in apply_baseline_acknowledgements(stack, acknowledgements)
    )
    register_rule_packs(app)
    return Platform(
        stages=stages,
        acknowledgements=applied,
        baselines=baseline_stacks,
        baseline_acknowledgements=baseline_applied,
    )
