"""`python -m findings_processor process REPORT_OR_DIR... --env ENV ...`

Exit status: 0 the gate passes, 1 the gate blocks, 2 a usage or input error (unreadable reports
count only with --strict; a failed Security Hub import always does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from findings_processor.collector import paused
from findings_processor.gate import GateConfigError, evaluate, load_exceptions, load_policy, policy_from_json
from findings_processor.outputs import Outputs, write_outputs
from findings_processor.pipeline import file_sources, process
from findings_processor.writers.asff import Target, validate_scope

EXIT_PASS, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2
LOG = logging.getLogger("findings_processor")
# Written into ASFF files when no account is known and nothing is imported (12 digits, as ASFF requires).
PLACEHOLDER_ACCOUNT = "000000000000"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="findings_processor", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("process", help="parse reports, write outputs, apply the gate")
    run.add_argument("reports", nargs="+", type=Path, metavar="REPORT_OR_DIR")
    run.add_argument("--env", required=True, help="environment whose gate policy applies (config/<env>.toml)")
    run.add_argument("--scope", help="ties this scan to the previous one, e.g. org/repo/develop (default: local/ENV)")
    run.add_argument("--config-dir", type=Path, default=Path("config"), help="platform config folder (default: config)")
    run.add_argument("--policy", help='gate policy as JSON, overriding the config: {"block_at": "HIGH", ...}')
    run.add_argument(
        "--exceptions", type=Path, help="exceptions file (default: CONFIG_DIR/gate-exceptions.toml if it exists)"
    )
    run.add_argument("--asff", type=Path, help="write the ASFF findings (a BatchImportFindings array) here")
    run.add_argument("--sarif", type=Path, help="write SARIF 2.1.0 here")
    run.add_argument("--junit", type=Path, help="write JUnit XML here")
    run.add_argument("--summary", type=Path, help="write the Markdown summary here (default: standard output)")
    run.add_argument("--import", dest="do_import", action="store_true", help="send findings to Security Hub")
    run.add_argument("--account-id", help="AWS account for ASFF (default: the caller's, when importing)")
    run.add_argument("--region", help="AWS region (default: the boto3 default chain)")
    run.add_argument("--strict", action="store_true", help="exit 2 if any report is unreadable")
    run.add_argument("--today", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    run.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        with paused():  # for the whole run: see collector.paused
            return _process(args)
    except GateConfigError as error:
        LOG.error("%s", error)
        return EXIT_ERROR
    except ValueError as error:
        LOG.error("invalid argument: %s", error)
        return EXIT_ERROR


def _process(args: argparse.Namespace) -> int:
    scope = validate_scope(args.scope or f"local/{args.env}")
    policy = policy_from_json(args.policy, args.env) if args.policy else load_policy(args.config_dir, args.env)
    exceptions_path = args.exceptions or args.config_dir / "gate-exceptions.toml"
    exceptions = load_exceptions(exceptions_path) if args.exceptions or exceptions_path.is_file() else []
    missing = [str(path) for path in args.reports if not path.exists()]
    if missing:
        LOG.error("no such report file or directory: %s", ", ".join(missing))
        return EXIT_ERROR

    result = process(file_sources(args.reports))
    gate = evaluate(
        result.findings,
        env=args.env,
        policy=policy,
        exceptions=exceptions,
        gaps=result.gaps,
        errors=result.errors,
        today=args.today,
    )
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"
    account = args.account_id or os.environ.get("AWS_ACCOUNT_ID")
    if args.do_import and not account:
        from findings_processor.securityhub import discover_account  # noqa: PLC0415 - AWS only when importing

        account = discover_account(region)
    target = Target(account_id=account or PLACEHOLDER_ACCOUNT, region=region, scope=scope)
    summary = write_outputs(
        result,
        gate,
        target,
        Outputs(asff=args.asff, sarif=args.sarif, junit=args.junit, summary=args.summary),
    )
    if args.summary is None:
        sys.stdout.write(summary + "\n")

    status = EXIT_PASS if gate.passed else EXIT_BLOCKED
    if args.do_import:
        from findings_processor.securityhub import SecurityHubImporter, make_client  # noqa: PLC0415

        report = SecurityHubImporter(make_client(region), target).sync(result.findings, result.scanners)
        if not report.ok:
            LOG.error("%d finding(s) were not accepted by Security Hub", len(report.failed))
            status = EXIT_ERROR
    if result.errors:
        LOG.error("%d report(s) could not be read", len(result.errors))
        if args.strict:
            status = EXIT_ERROR
    LOG.info("%s", gate.headline())
    return status
