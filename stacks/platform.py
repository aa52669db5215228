"""Builds the whole platform on an app: one stage per environment, acknowledgements, rule packs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk

from compliance.acknowledgements import AppliedAcknowledgement, apply_acknowledgements, load_acknowledgements
from compliance.rule_packs import register_rule_packs
from config.model import EnvironmentConfig
from stacks.environment_stage import EnvironmentStage


@dataclass(frozen=True)
class Platform:
    stages: tuple[EnvironmentStage, ...]
    acknowledgements: tuple[AppliedAcknowledgement, ...]


def build_platform(app: cdk.App, environments: Sequence[EnvironmentConfig]) -> Platform:
    acknowledgements = load_acknowledgements()
    stages = tuple(EnvironmentStage(app, env_config=env) for env in environments)
    applied = tuple(
        ack for stage in stages for ack in apply_acknowledgements(stage, stage.env_config, acknowledgements)
    )
    register_rule_packs(app)
    return Platform(stages=stages, acknowledgements=applied)
