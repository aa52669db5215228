"""Which platform environment a CI run targets, read from `config/` at run time.

    python3 scripts/ci_environment.py for-branch BRANCH [--github-output]
    python3 scripts/ci_environment.py for-environment NAME [--github-output]
    python3 scripts/ci_environment.py list [--github-output]

`for-branch` prints `environment`, `stage` (the Stage's construct id), `region` and `branch` of the
environment deployed from BRANCH, and exits 1 for a branch that deploys nothing; `for-environment`
prints the same for an environment name. `list` prints the environment
names as a JSON array (a GitHub Actions matrix). With --github-output the values are also appended to
$GITHUB_OUTPUT. Needs only the standard library, so CI can run it before any setup.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.loader import ConfigError, load_environments
from config.model import EnvironmentConfig


def branch_environments() -> dict[str, str]:
    """branch -> environment name, exactly as config/*.toml declares it."""
    return {environment.branch: environment.name for environment in load_environments()}


def _describe(environment: EnvironmentConfig) -> dict[str, str]:
    return {
        "environment": environment.name,
        "stage": environment.stage_id,
        "region": environment.region,
        "branch": environment.branch,
    }


def for_branch(branch: str) -> dict[str, str]:
    for environment in load_environments():
        if environment.branch == branch:
            return _describe(environment)
    mapped = ", ".join(f"{b} -> {e}" for b, e in branch_environments().items())
    raise LookupError(f"branch {branch!r} deploys no environment; mapped branches: {mapped}")


def for_environment(name: str) -> dict[str, str]:
    environments = load_environments()
    for environment in environments:
        if environment.name == name:
            return _describe(environment)
    raise LookupError(f"no environment {name!r}; known: {', '.join(e.name for e in environments)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ci_environment", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("for-branch")
    one.add_argument("branch")
    named = commands.add_parser("for-environment")
    named.add_argument("name")
    everything = commands.add_parser("list")
    for command in (one, named, everything):
        command.add_argument("--github-output", action="store_true", help="also append to $GITHUB_OUTPUT")
    args = parser.parse_args(argv)
    try:
        if args.command == "for-branch":
            values = for_branch(args.branch)
        elif args.command == "for-environment":
            values = for_environment(args.name)
        else:
            values = {"environments": json.dumps([e.name for e in load_environments()])}
    except (LookupError, ConfigError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    lines = [f"{key}={value}" for key, value in values.items()]
    sys.stdout.write("\n".join(lines) + "\n")
    if args.github_output:
        output = os.environ.get("GITHUB_OUTPUT")
        if not output:
            sys.stderr.write("error: --github-output needs GITHUB_OUTPUT (set by GitHub Actions)\n")
            return 1
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
