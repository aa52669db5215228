"""The template validation worker: aws-cdk-lib's CloudFormationValidatePlugin in a process of its own.

`stacks/validation_worker.py` starts it and says why. It reads JSON requests, one per line, on
stdin, and answers on the stdout it was started with (which it then points at stderr, so nothing
else can land among the answers). A stack is described as aws-cdk-lib describes it to a plugin:
`stackConstructPath`, `templatePath`, `accountId`, `region`.

- It first answers `{"version": ..., "ruleIds": [...]}`, once the plugin is built.
- `{"prevalidate": [stack, ...]}` validates each template and keeps the report; no answer.
- `{"validate": [stack, ...]}` is answered with `{"report": ...}`, the plugin's report for all of
  them, or `{"error": ...}`. A template kept from a prevalidation is reused only if its file and
  description are unchanged (the file's sha256 is part of the key).

The plugin validates the templates of one call one by one and merges their violations by rule,
severity and description; `merged_report` merges the kept per-template reports the same way, so
the answer equals what one call over all of them returns (a test holds it to that). It exits at
the end of its input: when the app that started it is done, or gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import sys
import threading
from typing import Any, TextIO

import aws_cdk as cdk
import jsii

Report = dict[str, Any]
Stack = dict[str, Any]


@jsii.implements(cdk.IPolicyValidationContext)
class StacksContext:
    """What aws-cdk-lib hands a plugin at synth, for the given stacks."""

    def __init__(self, stacks: list[Stack], app: cdk.App) -> None:
        self._stacks = [
            cdk.PolicyValidationStack(
                stack_construct_path=stack["stackConstructPath"],
                template_path=stack["templatePath"],
                account_id=stack.get("accountId"),
                region=stack.get("region"),
            )
            for stack in stacks
        ]
        self._app = app

    @property
    def template_paths(self) -> list[str]:
        return [stack.template_path for stack in self._stacks]

    @property
    def stack_templates(self) -> list[cdk.PolicyValidationStack]:
        return self._stacks

    @property
    def account_id(self) -> str | None:
        # As aws-cdk-lib sets it: the stacks' account, when they all share one.
        accounts = {stack.account_id for stack in self._stacks}
        return accounts.pop() if len(accounts) == 1 else None

    @property
    def region(self) -> str | None:
        regions = {stack.region for stack in self._stacks}
        return regions.pop() if len(regions) == 1 else None

    @property
    def app_construct(self) -> cdk.App:
        # The CloudFormation plugin reads templates only; the context must still name an app.
        return self._app


def report_as_json(report: cdk.PolicyValidationPluginReport) -> Report:
    return {
        "success": report.success,
        "violations": [
            {
                "ruleName": violation.rule_name,
                "description": violation.description,
                "fix": violation.fix,
                "severity": violation.severity,
                "ruleMetadata": violation.rule_metadata,
                "violatingResources": [
                    {
                        "resourceLogicalId": resource.resource_logical_id,
                        "constructPath": resource.construct_path,
                        "templatePath": resource.template_path,
                        "locations": list(resource.locations),
                    }
                    for resource in violation.violating_resources
                ],
            }
            for violation in report.violations
        ],
        "metadata": report.metadata,
        "pluginVersion": report.plugin_version,
    }


def merged_report(reports: list[Report]) -> Report:
    """The per-template reports as one call over those templates reports them, in the same order."""
    violations: list[dict[str, Any]] = []
    by_key: dict[tuple[str, str, str], dict[str, Any]] = {}
    for report in reports:
        for violation in report["violations"]:
            key = (violation["ruleName"], violation["severity"], violation["description"])
            if key in by_key:
                by_key[key]["violatingResources"].extend(violation["violatingResources"])
            else:
                by_key[key] = {**violation, "violatingResources": list(violation["violatingResources"])}
                violations.append(by_key[key])
    return {
        "success": all(violation["severity"] not in ("error", "fatal") for violation in violations),
        "violations": violations,
        "metadata": None,
        "pluginVersion": None,
    }


class Validator:
    """The plugin, and the reports of the templates it has validated, by description and content."""

    def __init__(self) -> None:
        self.plugin = cdk.CloudFormationValidatePlugin()
        self._app = cdk.App()
        self._reports: dict[tuple[Any, ...], Report] = {}

    def one(self, stack: Stack) -> Report:
        with open(stack["templatePath"], "rb") as template:
            content = hashlib.sha256(template.read()).hexdigest()
        key = (stack["stackConstructPath"], stack["templatePath"], stack.get("accountId"), stack.get("region"), content)
        if key not in self._reports:
            self._reports[key] = report_as_json(self.plugin.validate(StacksContext([stack], self._app)))
        return self._reports[key]

    def all(self, stacks: list[Stack]) -> Report:
        return merged_report([self.one(stack) for stack in stacks])


def serve(requests: queue.Queue[dict[str, Any] | None], answers: TextIO) -> None:
    def answer(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    validator = Validator()
    answer({"version": validator.plugin.version, "ruleIds": list(validator.plugin.rule_ids or [])})
    while (request := requests.get()) is not None:
        if "prevalidate" in request:
            for stack in request["prevalidate"]:
                try:
                    validator.one(stack)
                except Exception:  # noqa: S112 - validated again, and its error answered, when requested
                    continue
        elif "validate" in request:
            try:
                answer({"report": validator.all(request["validate"])})
            except Exception as error:  # answered: the app fails the synth with it
                answer({"error": f"{type(error).__name__}: {error}"})
        else:
            answer({"error": f"unknown request {sorted(request)}; known: prevalidate, validate"})


def main() -> int:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # jsii relays the kernel's console to stdout
    requests: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            requests.put(json.loads(line))
        requests.put(None)  # end of input

    threading.Thread(target=read, name="requests", daemon=True).start()
    serve(requests, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
