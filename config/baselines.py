"""The account security baseline's configuration: one `BaselineConfig` per AWS account.

`accounts.toml` holds the baseline settings (`[defaults]`, and `[[account]]` entries that override
them for one account). Which baselines exist follows from the environments: one per distinct
account they name, or one for the deploying account when none names an account. Validation refuses
anything that would put two baselines into one account, naming the field, the value and what is
allowed, in the same style as the environment files.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.loader import CONFIG_DIR, ConfigError, _build, _read_toml, load_environments
from config.model import EnvironmentConfig
from config.rules import _ACCOUNT, _EMAIL, _REGION, LOG_RETENTION_VALUES

ACCOUNTS_FILE = "accounts.toml"
# A year of audit trail at least: the evidence PCI DSS 10.7 and HIPAA reviews ask for.
MIN_TRAIL_RETENTION_DAYS = 365
BASELINE_STACK_ID = "Baseline"

# An OIDC issuer is a bare https origin: no path, no trailing slash (IAM compares it literally).
_ISSUER = re.compile(r"^https://[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$")
_GITLAB_PROJECT = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+$")


@dataclass(frozen=True)
class BaselineSettings:
    alerts_email: str
    trail_retention_days: int
    trail_object_lock: bool
    gitlab_url: str
    gitlab_project: str | None


@dataclass(frozen=True)
class _AccountEntry:
    """One `[[account]]` entry after merging it over `[defaults]`."""

    account: str | None
    region: str | None
    alerts_email: str
    trail_retention_days: int
    trail_object_lock: bool
    gitlab_url: str
    gitlab_project: str | None

    @property
    def settings(self) -> BaselineSettings:
        return BaselineSettings(
            alerts_email=self.alerts_email,
            trail_retention_days=self.trail_retention_days,
            trail_object_lock=self.trail_object_lock,
            gitlab_url=self.gitlab_url,
            gitlab_project=self.gitlab_project,
        )


@dataclass(frozen=True)
class BaselineConfig:
    # None: the account the deploying credentials name (every environment is environment-agnostic).
    account: str | None
    region: str
    settings: BaselineSettings
    # The environments deployed into this account, in promotion order.
    environments: tuple[EnvironmentConfig, ...]

    @property
    def stack_id(self) -> str:
        """`Baseline` for the deploying account, `Baseline-<account>` for a named one."""
        return BASELINE_STACK_ID if self.account is None else f"{BASELINE_STACK_ID}-{self.account}"

    @property
    def account_label(self) -> str:
        return self.account or "the deploying account"


def load_baselines(selected: str | None = None, config_dir: Path = CONFIG_DIR) -> tuple[BaselineConfig, ...]:
    """One baseline per account, in the order of the environments that first name each account.

    With `selected` (an environment name), only the baseline of that environment's account.
    """
    environments = load_environments(None, config_dir)
    baselines = _baselines(environments, _read_toml(config_dir / ACCOUNTS_FILE))
    if selected in (None, "all"):
        return baselines
    return tuple(b for b in baselines if any(e.name == selected for e in b.environments))


def _baselines(environments: typing.Sequence[EnvironmentConfig], raw: dict[str, Any]) -> tuple[BaselineConfig, ...]:
    default_settings, entries, problems = _read_entries(raw)
    in_use: dict[str | None, list[EnvironmentConfig]] = {}
    for env in environments:
        in_use.setdefault(env.account, []).append(env)
    problems += _mixed_accounts(environments)
    by_account: dict[str | None, tuple[str, _AccountEntry]] = {}
    for where, entry in entries:
        shown = entry.account if entry.account is not None else "(left out: the deploying account)"
        if entry.account in by_account:
            problems.append(
                f"{where}: field 'account' = {shown!r} already has a baseline from {by_account[entry.account][0]}; "
                "one baseline per account is allowed: merge the two entries"
            )
        elif entry.account not in in_use:
            allowed = ", ".join(sorted(a for a in in_use if a is not None)) or "none (leave 'account' out)"
            problems.append(
                f"{where}: field 'account' = {shown!r} is not the account of any environment, so it would create a "
                f"baseline no environment uses; allowed: the accounts the environments name: {allowed}"
            )
        else:
            by_account[entry.account] = (where, entry)
    if problems or default_settings is None:
        raise ConfigError(problems)
    baselines = []
    for account, account_environments in in_use.items():
        chosen = by_account[account][1] if account in by_account else None
        baselines.append(
            BaselineConfig(
                account=account,
                region=(chosen.region if chosen is not None else None) or account_environments[0].region,
                settings=chosen.settings if chosen is not None else default_settings,
                environments=tuple(account_environments),
            )
        )
    problems = [problem for baseline in baselines for problem in _regions_apart(baseline)]
    if problems:
        raise ConfigError(problems)
    return tuple(baselines)


def _regions_apart(baseline: BaselineConfig) -> list[str]:
    """An environment's alarms notify its account's alerts topic, and a CloudWatch alarm can only
    notify a topic in its own region: an environment outside its baseline's region would alarm silently."""
    return [
        f"{env.name}.toml (environment {env.name!r}): field 'region' = {env.region!r} differs from the region of "
        f"the baseline of {baseline.account_label} ({baseline.region!r}); the environment's alarms notify that "
        "baseline's alerts topic and CloudWatch alarms can only notify a topic in their own region: put every "
        f"environment of one account in its baseline's region ({ACCOUNTS_FILE} [[account]] 'region' sets that)"
        for env in baseline.environments
        if env.region != baseline.region
    ]


def _read_entries(raw: dict[str, Any]) -> tuple[BaselineSettings | None, list[tuple[str, _AccountEntry]], list[str]]:
    """`[defaults]` as settings and each `[[account]]` merged over it, with the problems found."""
    problems = [
        f"{ACCOUNTS_FILE}: unknown key {key!r}; allowed here: defaults, account"
        for key in raw
        if key not in ("defaults", "account")
    ]
    defaults = raw.get("defaults")
    if not isinstance(defaults, dict):
        raise ConfigError([*problems, f"{ACCOUNTS_FILE}: table [defaults] is missing or not a table"])
    default_problems: list[str] = []
    default_settings = _build(BaselineSettings, defaults, "defaults.", default_problems)
    if default_settings is not None:
        default_problems += _validate_settings(default_settings, "defaults.")
    problems += [f"{ACCOUNTS_FILE}: {p}" for p in default_problems]
    raw_entries = raw.get("account", [])
    if not isinstance(raw_entries, list) or not all(isinstance(e, dict) for e in raw_entries):
        raise ConfigError([*problems, f"{ACCOUNTS_FILE}: 'account' must be a list of [[account]] tables"])
    entries: list[tuple[str, _AccountEntry]] = []
    for index, raw_entry in enumerate(raw_entries, start=1):
        where = f"{ACCOUNTS_FILE}: [[account]] #{index}"
        entry_problems: list[str] = []
        entry = _build(_AccountEntry, {**defaults, **raw_entry}, "", entry_problems)
        if entry is not None:
            entry_problems += _validate_entry(entry)
            entries.append((where, entry))
        problems += [f"{where}: {p}" for p in entry_problems]
    return default_settings, entries, problems


def _mixed_accounts(environments: typing.Sequence[EnvironmentConfig]) -> list[str]:
    named = [e for e in environments if e.account is not None]
    unnamed = [e for e in environments if e.account is None]
    if not (named and unnamed):
        return []
    return [
        f"environments {', '.join(repr(e.name) for e in unnamed)}: field 'account' is missing while "
        f"{', '.join(f'{e.name!r} (account {e.account})' for e in named)} name their accounts; the "
        "deploying account's baseline could land in an account that already has one, so either every "
        "environment names its account or none does"
    ]


def _allowed(field: str, value: object, allowed: str) -> str:
    return f"field {field!r} = {value!r} is not allowed: {allowed}"


def _validate_entry(entry: _AccountEntry) -> list[str]:
    problems = []
    if entry.account is not None and not _ACCOUNT.match(entry.account):
        problems.append(_allowed("account", entry.account, "a 12-digit AWS account id, or leave it out"))
    if entry.region is not None and not _REGION.match(entry.region):
        problems.append(_allowed("region", entry.region, "an AWS region code such as 'eu-central-1', or leave it out"))
    return problems + _validate_settings(entry.settings, "")


def _validate_settings(settings: BaselineSettings, prefix: str) -> list[str]:
    problems = []
    if not _EMAIL.match(settings.alerts_email):
        problems.append(_allowed(f"{prefix}alerts_email", settings.alerts_email, "an e-mail address"))
    allowed_days = [d for d in LOG_RETENTION_VALUES if d >= MIN_TRAIL_RETENTION_DAYS]
    if settings.trail_retention_days not in allowed_days:
        problems.append(
            _allowed(
                f"{prefix}trail_retention_days",
                settings.trail_retention_days,
                f"a CloudWatch Logs retention of at least {MIN_TRAIL_RETENTION_DAYS} days: "
                f"{', '.join(map(str, allowed_days))}",
            )
        )
    if not _ISSUER.match(settings.gitlab_url):
        problems.append(
            _allowed(
                f"{prefix}gitlab_url",
                settings.gitlab_url,
                "an https origin without path or trailing slash, such as 'https://gitlab.com'",
            )
        )
    if settings.gitlab_project is not None and not _GITLAB_PROJECT.match(settings.gitlab_project):
        problems.append(
            _allowed(f"{prefix}gitlab_project", settings.gitlab_project, "a project path such as 'group/project'")
        )
    return problems
