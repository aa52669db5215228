#!/usr/bin/env python3
"""CDK entry point: validate the configuration, build every environment and every account's baseline,
gate the synth on cdk-nag.

`cdk synth -c env=qa` builds one environment (and its account's baseline); without it, every
environment and every baseline is built.
`-c config_dir=PATH` reads the configuration from another folder (default: config/), and
`-c acknowledgements=PATH` the acknowledged findings from another file (default:
compliance/acknowledgements.toml).
`-c image_tag=TAG` names the image the service runs (default: `bootstrap`; deployments pass the commit's tag).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Before aws_cdk, whose import starts jsii's kernel: this module's exit handler must run after jsii's.
from stacks.fast_exit import exit_after_jsii_stops
from stacks.imports_uncollected import imports_uncollected
from stacks.kernel_setup import prepare_jsii_kernel
from stacks.validation_worker import TemplateValidationError, TemplateValidationWorker

# No creation stack traces: in a Python app they hold only aws-cdk-lib's, jsii's and Node.js's frames
# (ADR 8). Set here rather than in cdk.json, whose `aws:` context keys the CLI warns about as reserved.
APP_CONTEXT = {"aws:cdk:disable-creation-stack-traces": True}


def main() -> int:
    # Set before aws_cdk's import starts the kernel (see stacks/kernel_setup.py); the worker inherits it.
    warm_up = prepare_jsii_kernel(Path(__file__))
    with imports_uncollected():
        import aws_cdk as cdk  # noqa: PLC0415

        if warm_up is not None:
            warm_up.import_host_modules()  # before any module of the app's calls into the kernel

        from compliance.acknowledgements import ACKNOWLEDGEMENTS_FILE, AcknowledgementError  # noqa: PLC0415
        from compliance.rule_packs import refusals  # noqa: PLC0415
        from config import ConfigError, load_delivery, load_environments  # noqa: PLC0415
        from config.baselines import load_baselines  # noqa: PLC0415
        from config.loader import CONFIG_DIR  # noqa: PLC0415
        from stacks.kernel_affinity import colocated_with_jsii_kernel  # noqa: PLC0415
        from stacks.platform import DEFAULT_IMAGE_TAG, build_platform  # noqa: PLC0415
        from stacks.validation_in_worker import ValidationInWorker  # noqa: PLC0415

    # The templates are validated by a worker beside the app (see stacks/validation_worker.py), with
    # aws-cdk-lib's own plugin; aws-cdk-lib's instance in the app is off (with CDK_VALIDATION=false
    # neither runs).
    app = cdk.App(builtin_cloud_formation_validation=False, context=APP_CONTEXT)
    selected = app.node.try_get_context("env")
    config_dir = Path(app.node.try_get_context("config_dir") or CONFIG_DIR)
    worker: TemplateValidationWorker | None = None
    try:
        environments = load_environments(selected, config_dir)
        baselines = load_baselines(selected, config_dir)
        delivery = load_delivery(config_dir)
        image_tag = app.node.try_get_context("image_tag") or DEFAULT_IMAGE_TAG
        # Started once the app's imports are done, not to compete with them for the CPUs (and once the
        # configuration is known to be valid); it builds its engine while the app builds the first stage.
        worker = TemplateValidationWorker.start()
        # Building is thousands of jsii round trips: faster with both sides on one CPU, and the worker,
        # validating each environment's templates meanwhile, on the others (see the modules).
        with colocated_with_jsii_kernel(leaving_out=[worker.pid] if worker is not None else []):
            build_platform(
                app,
                environments,
                baselines=baselines,
                delivery=delivery,
                image_tag=str(image_tag),
                acknowledgements_file=Path(app.node.try_get_context("acknowledgements") or ACKNOWLEDGEMENTS_FILE),
                validation=ValidationInWorker(worker) if worker is not None else None,
            )
    except (ConfigError, AcknowledgementError, TemplateValidationError) as error:
        return _failed(error)
    try:
        assembly = app.synth()
    except RuntimeError as error:
        if worker is not None and worker.failure is not None:
            return _failed(worker.failure)
        # In-memory mode (tests, `python app.py`): aws-cdk-lib raises on a refused synth.
        if "ValidationFailed" not in str(error):
            raise
        return _refused()
    if worker is not None and worker.failure is not None:
        # aws-cdk-lib reports a failed plugin as a report without findings; the synth must still fail.
        return _failed(worker.failure)
    if warm_up is not None:
        warm_up.record_host_modules()
    found = refusals(Path(assembly.directory))
    for refusal in found:
        print("\n".join(refusal.lines) + "\n", file=sys.stderr)
    if found:
        return _refused()
    return 0


def _failed(error: Exception) -> int:
    # A clear message and a non-zero exit, not a traceback through jsii.
    print(f"error: {error}", file=sys.stderr)
    return 1


def _refused() -> int:
    print(
        "error: the compliance gate refused this synth; each finding above names its rule and construct path. "
        "Fix the resource, or acknowledge the finding with a reason in compliance/acknowledgements.toml.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    exit_after_jsii_stops(main())
