"""Builds the whole platform on an app: one stage per environment, one baseline stack per account,
the delivery path, acknowledgements, rule packs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aws_cdk as cdk

from compliance.acknowledgements import (
    ACKNOWLEDGEMENTS_FILE,
    AppliedAcknowledgement,
    Scope,
    apply_acknowledgements,
    apply_stack_acknowledgements,
    load_acknowledgements,
)
from compliance.rule_packs import register_rule_packs
from config import ConfigError
from config.baselines import BaselineConfig
from config.image_access import image_repository_access
from config.loader import ENVIRONMENT_NAMES
from config.model import DEFAULT_IMAGE_REPOSITORY, DeliveryConfig, EnvironmentConfig
from stacks.baseline_stack import BaselineStack
from stacks.delivery_stack import DeliveryStack
from stacks.environment_stage import EnvironmentStage

# The image the service runs when no `-c image_tag=...` is given: synth and tests need one; every
# deployment passes the commit's tag (ECR tags are immutable, so a tag names one scanned build).
DEFAULT_IMAGE_TAG = "bootstrap"
# ECR's tag grammar.
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
DELIVERY_STACK_ID = "Delivery"


class TemplateValidation(Protocol):
    """Template validation in place of aws-cdk-lib's in-kernel plugin (`stacks/validation_in_worker.py`)."""

    def plugin(self) -> cdk.IPolicyValidationPlugin:
        """Registered after the rule packs, where aws-cdk-lib runs its own."""
        ...

    def stage_built(self, stage: cdk.Stage) -> None:
        """Each environment's stage, once built and acknowledged; nothing changes it afterwards."""
        ...

    def app_stack_synthesizer(self) -> cdk.IStackSynthesizer:
        """The synthesizer of one app-level stack (a baseline, the delivery stack)."""
        ...


@dataclass(frozen=True)
class Platform:
    stages: tuple[EnvironmentStage, ...]
    acknowledgements: tuple[AppliedAcknowledgement, ...]
    baselines: tuple[BaselineStack, ...] = ()
    baseline_acknowledgements: tuple[AppliedAcknowledgement, ...] = ()
    delivery: DeliveryStack | None = None


def build_platform(
    app: cdk.App,
    environments: Sequence[EnvironmentConfig],
    *,
    baselines: Sequence[BaselineConfig] = (),
    delivery: DeliveryConfig | None = None,
    image_tag: str = DEFAULT_IMAGE_TAG,
    acknowledgements_file: Path = ACKNOWLEDGEMENTS_FILE,
    validation: TemplateValidation | None = None,
) -> Platform:
    """Every environment's stage and, when all environments are built and `delivery` is given, the pipeline.

    A pipeline promotes through every environment in order, so `-c env=qa` builds no pipeline.
    `validation`: the CloudFormation validation, in place of aws-cdk-lib's (stacks/validation_worker.py).
    """
    if not _IMAGE_TAG.match(image_tag):
        raise ConfigError(
            [
                f"context 'image_tag' = {image_tag!r} is not an image tag: letters, digits, '.', '_' and '-', "
                "at most 128 characters, not starting with '.' or '-'"
            ]
        )
    acknowledgements = load_acknowledgements(acknowledgements_file)
    image_repository = delivery.image_repository if delivery is not None else DEFAULT_IMAGE_REPOSITORY
    built: list[EnvironmentStage] = []
    applied: tuple[AppliedAcknowledgement, ...] = ()
    for env in environments:
        stage = EnvironmentStage(
            app,
            env_config=env,
            image_tag=image_tag,
            image_repository=image_repository,
            image_access=image_repository_access(delivery, env),
        )
        applied += apply_acknowledgements(stage, env, acknowledgements)
        built.append(stage)
        if validation is not None:
            validation.stage_built(stage)
    stages = tuple(built)
    # App-level stacks, not part of any stage: an account's baseline outlives its environments.
    baseline_stacks = tuple(
        BaselineStack(app, baseline=baseline, synthesizer=_app_stack_synthesizer(validation)) for baseline in baselines
    )
    baseline_applied = tuple(
        ack
        for stack in baseline_stacks
        for ack in apply_stack_acknowledgements(stack, Scope.BASELINE, acknowledgements)
    )
    delivery_stack = None
    if delivery is not None and tuple(e.name for e in environments) == ENVIRONMENT_NAMES:
        delivery_stack = DeliveryStack(
            app,
            DELIVERY_STACK_ID,
            delivery=delivery,
            environments=environments,
            stages=stages,
            env=_tooling_environment(delivery),
            description="Delivery: OIDC deploy roles, the pipeline with its scan stage, the findings gate",
            termination_protection=True,
            synthesizer=_app_stack_synthesizer(validation),
        )
        cdk.Tags.of(delivery_stack).add("environment", "tooling")
        applied += apply_stack_acknowledgements(
            delivery_stack,
            Scope.DELIVERY,
            acknowledgements,
            accounts={env.account for env in environments if env.account is not None},
        )
    register_rule_packs(app, validation.plugin() if validation is not None else None)
    return Platform(
        stages=stages,
        acknowledgements=applied,
        baselines=baseline_stacks,
        baseline_acknowledgements=baseline_applied,
        delivery=delivery_stack,
    )


def _app_stack_synthesizer(validation: TemplateValidation | None) -> cdk.IStackSynthesizer | None:
    # None: aws-cdk-lib's default.
    return validation.app_stack_synthesizer() if validation is not None else None


def _tooling_environment(delivery: DeliveryConfig) -> cdk.Environment | None:
    if delivery.account is None:
        return None
    return cdk.Environment(account=delivery.account, region=delivery.region)
