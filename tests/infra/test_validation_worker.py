"""The worker validates templates as aws-cdk-lib's CloudFormation plugin does in the kernel, and fails loudly."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
import pytest

from stacks.validation_in_worker import (
    PLUGIN_NAME,
    CloudFormationValidationInWorker,
    PrevalidatingSynthesizer,
    ValidationInWorker,
    described_stacks,
    synthesized_stacks,
)
from stacks.validation_worker import StackDescription, TemplateValidationError, TemplateValidationWorker
from stacks.validation_worker_program import StacksContext, report_as_json
from tests.conftest import REPO_ROOT

# Two templates share a warning (merged into one violation with two resources); each has an error of its own.
TEMPLATES = {
    "first": {
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Sometimes"}}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": "soon"}},
    },
    "second": {
        "Other": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Sometimes"}}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Unknown": 1}},
    },
    "clean": {"Fine": {"Type": "AWS::SQS::Queue", "Properties": {}}},
}


def _stacks(folder: Path, names: list[str]) -> list[dict[str, Any]]:
    stacks = []
    for name in names:
        path = folder / f"{name}.template.json"
        if not path.exists():
            path.write_text(json.dumps({"Resources": TEMPLATES[name]}))
        stacks.append({"stackConstructPath": name, "templatePath": str(path), "accountId": None, "region": None})
    return stacks


@pytest.fixture(scope="module")
def worker() -> Iterator[TemplateValidationWorker]:
    started = TemplateValidationWorker.start()
    assert started is not None
    yield started
    assert started.close() == 0


def test_the_workers_report_is_what_one_call_of_the_plugin_reports(
    worker: TemplateValidationWorker, tmp_path: Path
) -> None:
    stacks = _stacks(tmp_path, ["first", "second", "clean"])
    plugin = cdk.CloudFormationValidatePlugin()
    in_the_kernel = report_as_json(plugin.validate(StacksContext(stacks, cdk.App())))
    assert [len(v["violatingResources"]) for v in in_the_kernel["violations"]] == [1, 2, 1]  # the merge is exercised

    worker.prevalidate([stacks[0], stacks[2]])  # reused below; "second" is validated on request
    assert worker.validate(stacks) == in_the_kernel

    in_worker = CloudFormationValidationInWorker(worker)
    assert (in_worker.name, in_worker.version, in_worker.rule_ids) == (PLUGIN_NAME, plugin.version, plugin.rule_ids)


def test_a_template_changed_after_its_prevalidation_is_validated_again(
    worker: TemplateValidationWorker, tmp_path: Path
) -> None:
    stacks = _stacks(tmp_path, ["clean"])
    worker.prevalidate(stacks)
    assert worker.validate(stacks)["success"] is True
    Path(stacks[0]["templatePath"]).write_text(json.dumps({"Resources": TEMPLATES["first"]}))
    changed = worker.validate(stacks)
    assert changed["success"] is False
    assert {violation["ruleName"] for violation in changed["violations"]} == {"F3012", "W3030"}


@jsii.implements(cdk.IPolicyValidationPlugin)
class _Recorder:
    """A plugin that records the stacks aws-cdk-lib hands it."""

    def __init__(self) -> None:
        self.stacks: list[StackDescription] = []

    @property
    def name(self) -> str:
        return "Recorder"

    @property
    def version(self) -> str | None:
        return None

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        self.stacks = described_stacks(context)  # as the app's plugin hands them to the worker
        return cdk.PolicyValidationPluginReport(success=True, violations=[])


def test_a_stage_is_described_as_aws_cdk_lib_describes_it_to_the_plugin(tmp_path: Path) -> None:
    # The worker reuses a prevalidated template only under the same description: they must match.
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stage = cdk.Stage(app, "Qa")
    cdk.Stack(stage, "Agnostic")
    cdk.Stack(stage, "Pinned", env=cdk.Environment(account="111111111111", region="eu-central-1"))
    recorder = _Recorder()
    cdk.Validations.of(app).add_plugins(recorder)
    described = synthesized_stacks(stage)
    app.synth()
    assert sorted(described, key=str) == sorted(recorder.stacks, key=str)
    assert {(stack["accountId"], stack["region"]) for stack in described} == {
        (None, None),
        ("111111111111", "eu-central-1"),
    }


def test_an_app_level_stack_is_handed_on_once_written_as_aws_cdk_lib_describes_it(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    handed: list[tuple[StackDescription, bytes]] = []

    def prevalidate(stacks: Sequence[StackDescription]) -> None:
        handed.extend((stack, Path(str(stack["templatePath"])).read_bytes()) for stack in stacks)

    cdk.Stack(app, "Agnostic", synthesizer=PrevalidatingSynthesizer(prevalidate))
    pinned_env = cdk.Environment(account="111111111111", region="eu-central-1")
    cdk.Stack(app, "Pinned", env=pinned_env, synthesizer=PrevalidatingSynthesizer(prevalidate))
    recorder = _Recorder()
    cdk.Validations.of(app).add_plugins(recorder)
    app.synth()
    # Handed on before the plugins ran, with the template as the plugins read it.
    assert sorted((stack for stack, _ in handed), key=str) == sorted(recorder.stacks, key=str)
    assert all(Path(str(stack["templatePath"])).read_bytes() == written for stack, written in handed)
    environments = {(stack["accountId"], stack["region"]) for stack, _ in handed}
    assert environments == {(None, None), ("111111111111", "eu-central-1")}


def test_the_worker_gives_back_each_template_as_it_was_handed_on(
    worker: TemplateValidationWorker, tmp_path: Path
) -> None:
    first, second = _stacks(tmp_path, ["first", "second"])
    worker.prevalidate([first, second])
    paths = [str(first["templatePath"]), str(second["templatePath"]), str(first["templatePath"])]
    assert worker.handed_on(paths) == [first, second, first]
    assert worker.handed_on([*paths, str(tmp_path / "never-handed-on.template.json")]) is None


def test_the_app_hands_the_worker_its_stacks_as_aws_cdk_lib_describes_them_to_the_plugin(
    worker: TemplateValidationWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plugin sends the worker the descriptions of the templates it was handed while they were built.
    validated: list[Sequence[StackDescription]] = []
    validate = worker.validate
    monkeypatch.setattr(worker, "validate", lambda stacks: validated.append(stacks) or validate(stacks))
    hooks = ValidationInWorker(worker)
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stage = cdk.Stage(app, "Qa")
    cdk.Stack(stage, "Agnostic")
    cdk.Stack(stage, "Pinned", env=cdk.Environment(account="111111111111", region="eu-central-1"))
    hooks.stage_built(stage)
    cdk.Stack(app, "Baseline", synthesizer=hooks.app_stack_synthesizer())
    recorder = _Recorder()
    cdk.Validations.of(app).add_plugins(recorder, hooks.plugin())
    app.synth()
    assert validated == [recorder.stacks]
    assert len(recorder.stacks) >= 3


def test_a_prevalidating_synthesizer_serves_one_stack() -> None:
    app = cdk.App()
    synthesizer = PrevalidatingSynthesizer(lambda stacks: None)
    cdk.Stack(app, "First", synthesizer=synthesizer)
    with pytest.raises(RuntimeError, match="can only be used for one Stack"):
        cdk.Stack(app, "Second", synthesizer=synthesizer)


def test_a_worker_that_exits_fails_naming_its_exit_code(tmp_path: Path) -> None:
    program = tmp_path / "exits.py"
    program.write_text("import sys\nsys.exit(3)\n")
    worker = TemplateValidationWorker.start(program)
    assert worker is not None
    with pytest.raises(TemplateValidationError, match="exited with code 3"):
        worker.validate([])
    assert worker.failure is not None


def test_a_worker_error_is_kept_for_the_app_whatever_aws_cdk_lib_does_with_it(tmp_path: Path) -> None:
    # aws-cdk-lib turns a plugin's exception into a report without findings; app.py fails the synth on
    # the worker's kept failure instead.
    program = tmp_path / "answers_an_error.py"
    program.write_text(
        "import json, sys\n"
        'print(json.dumps({"version": "0", "ruleIds": []}), flush=True)\n'
        "for line in sys.stdin:\n"
        '    print(json.dumps({"error": "TemplateError: cannot read it"}), flush=True)\n'
    )
    worker = TemplateValidationWorker.start(program)
    assert worker is not None
    app = cdk.App(outdir=str(tmp_path / "out"), builtin_cloud_formation_validation=False)
    cdk.Stack(app, "Stack")
    cdk.Validations.of(app).add_plugins(CloudFormationValidationInWorker(worker))
    with contextlib.suppress(RuntimeError):  # whether aws-cdk-lib raises or reports it, the failure is kept
        app.synth()
    assert worker.failure is not None
    assert "cannot read it" in str(worker.failure)


def test_no_worker_starts_when_validation_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # `cdk synth --no-validation` sets CDK_VALIDATION=false for the app, as aws-cdk-lib expects.
    monkeypatch.setenv("CDK_VALIDATION", "false")
    assert TemplateValidationWorker.start() is None


def test_the_app_with_its_worker_writes_what_the_in_process_synth_writes(synthesized: Any, tmp_path: Path) -> None:
    # The app synthesizes each stage early and validates in the worker; the tests synthesize in process,
    # with aws-cdk-lib's own validation. Same templates, same validation findings. Twice: the first
    # synth records the modules it loads (stacks/kernel_warmup.py), the second loads them early.
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    context |= {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}  # as the CLI adds
    cache = tmp_path / "cache"
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-O", "app.py"]  # as cdk.json runs it
    first, second = tmp_path / "first", tmp_path / "second"
    for outdir in (first, second):
        env["CDK_OUTDIR"] = str(outdir)
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        if outdir == first:
            (kernel_modules,) = cache.glob("*/warm-up/*/kernel-modules.txt")
            assert len(kernel_modules.read_text().split()) > 100

    def templates(outdir: Path) -> dict[Path, bytes]:
        return {path.relative_to(outdir): path.read_bytes() for path in outdir.rglob("*.template.json")}

    assert len(templates(first)) == 22
    assert templates(first) == templates(synthesized.outdir)
    assert templates(second) == templates(first)

    def plugin_reports(outdir: Path) -> dict[str, str]:
        # The in-process harness hands the stages to the plugins in another order than the app, whichever
        # runs the validation: findings are compared as sets.
        report = json.loads((outdir / "validation-report.json").read_text())
        return {plugin["pluginName"]: _sorted_json(plugin) for plugin in report["pluginReports"]}

    assert plugin_reports(first) == plugin_reports(synthesized.outdir)
    assert (second / "validation-report.json").read_bytes() == (first / "validation-report.json").read_bytes()


def _sorted_json(value: Any) -> str:
    """`value` as JSON with every list sorted, so that only its contents count."""
    if isinstance(value, dict):
        return json.dumps({key: json.loads(_sorted_json(item)) for key, item in sorted(value.items())})
    if isinstance(value, list):
        return json.dumps([json.loads(text) for text in sorted(_sorted_json(item) for item in value)])
    return json.dumps(value)
