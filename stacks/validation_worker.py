"""Validate the templates in a worker process, beside the app, with aws-cdk-lib's own plugin.

Every synth validates every template with aws-cdk-lib's CloudFormationValidatePlugin, a
WebAssembly engine inside jsii's Node.js kernel. In the app that was the largest part of synthesis
(about 1.8 s of it, the five rule packs about 0.9 s), all on the kernel's one thread, after the
constructs were built; and while they were built, the app's thread and the kernel's shared one CPU
(`kernel_affinity.py`) and the other CPU had little to do. Here the same plugin runs in a worker: a
second Python process with its own jsii kernel (`validation_worker_program.py`).

- The app starts the worker once it has imported its modules and read its configuration (started
  earlier, the two imports competed for the CPUs and the app's took 0.4 s longer); the worker builds
  its engine while the app builds the first environment.
- The app synthesizes each environment's stage as soon as it is built and acknowledged (as CDK
  Pipelines does when the pipeline adds the stage; aws-cdk-lib refuses a later change to a
  synthesized stage), and hands its templates to the worker, which validates them on the other CPU
  while the app builds the next environment.
- The app-level stacks (the baselines, the delivery stack) are not in a stage: their templates are
  written by the app's synth, right before the rule packs run. Their synthesizer hands each to the
  worker as soon as it is written (`PrevalidatingSynthesizer`), so it is validated while the rule
  packs run.
- At synth, `CloudFormationValidationInWorker` (`validation_in_worker.py`) stands where aws-cdk-lib
  would have put its own plugin: after the rule packs, with the same name, version and rule ids.
  The worker reuses the reports of the templates it has already validated (the file's content is
  part of the key), validates any other, and returns the report one call of the plugin over all of
  them returns.

aws-cdk-lib's own instance is switched off on the app (`builtin_cloud_formation_validation`).
`cdk synth --no-validation` (`CDK_VALIDATION=false`) starts no worker, and aws-cdk-lib would then run
none either. A worker that fails or exits fails the synth with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROGRAM = Path(__file__).resolve().with_name("validation_worker_program.py")
# A stack as aws-cdk-lib describes it to a plugin: stackConstructPath, templatePath, accountId, region.
StackDescription = dict[str, str | None]


class TemplateValidationError(RuntimeError):
    pass


class TemplateValidationWorker:
    """The running worker: requests go to its stdin, answers come from its stdout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._greeting: dict[str, Any] | None = None
        # Each stack handed on so far, by its template's path.
        self._handed_on: dict[str, StackDescription] = {}
        # The first error, kept: aws-cdk-lib may swallow what a plugin raises, and the app must not.
        self.failure: TemplateValidationError | None = None

    @classmethod
    def start(cls, program: Path = PROGRAM) -> TemplateValidationWorker | None:
        """The worker, started; None when validation is off (`cdk synth --no-validation`).

        It inherits this process's environment: its kernel is set up as the app's (`kernel_setup.py`),
        without the warm-up, whose setting the app has dropped by then.
        """
        if os.environ.get("CDK_VALIDATION") == "false":  # the one value aws-cdk-lib honours
            return None
        # This interpreter and its optimization; `-P` keeps the program's folder (stacks/, whose
        # platform.py would shadow the standard library's) off its module path.
        command = [sys.executable, *["-O"] * sys.flags.optimize, "-P", str(program)]
        return cls(subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))  # noqa: S603

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def version(self) -> str:
        return str(self._greet()["version"])

    @property
    def rule_ids(self) -> list[str]:
        return [str(rule) for rule in self._greet()["ruleIds"]]

    def prevalidate(self, stacks: Sequence[StackDescription]) -> None:
        """Has the worker validate these stacks' templates now, for a later `validate` to reuse."""
        self._handed_on.update((str(stack["templatePath"]), stack) for stack in stacks)
        self._send({"prevalidate": list(stacks)})

    def handed_on(self, template_paths: Sequence[str]) -> list[StackDescription] | None:
        """The stacks of these templates as `prevalidate` was handed them; None if one was not."""
        try:
            return [self._handed_on[path] for path in template_paths]
        except KeyError:
            return None

    def validate(self, stacks: Sequence[StackDescription]) -> dict[str, Any]:
        """The plugin's report over `stacks`, as one call of the plugin returns it."""
        self._greet()
        self._send({"validate": list(stacks)})
        answer = self._receive()
        if "error" in answer:
            raise self._failed(f"the template validation worker could not validate: {answer['error']}")
        report: dict[str, Any] = answer["report"]
        return report

    def close(self, timeout: float = 60) -> int:
        """Ends the worker's input, so that it exits; its exit code. (The app's exit does the same.)"""
        if self._process.stdin is not None:
            self._process.stdin.close()
        return self._process.wait(timeout=timeout)

    def _greet(self) -> dict[str, Any]:
        if self._greeting is None:
            self._greeting = self._receive()
        return self._greeting

    def _send(self, request: dict[str, Any]) -> None:
        if self._process.stdin is None:
            raise self._gone()
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError):  # ValueError: the pipe was closed
            raise self._gone() from None

    def _receive(self) -> dict[str, Any]:
        line = self._process.stdout.readline() if self._process.stdout is not None else ""
        if not line:
            raise self._gone()
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _gone(self) -> TemplateValidationError:
        code = self._process.wait()
        return self._failed(f"the template validation worker exited with code {code}; its error is printed above")

    def _failed(self, message: str) -> TemplateValidationError:
        error = TemplateValidationError(message)
        if self.failure is None:
            self.failure = error
        return error
