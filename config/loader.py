"""Loads `config/*.toml` into frozen `EnvironmentConfig` objects and validates them.

Each environment file is merged over `defaults.toml`, then converted field by field against the
dataclasses in `config.model`: unknown keys, missing keys and wrong types are refused before any
semantic rule runs. All problems are collected and reported together, one line each, naming the
file, the environment, the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from config.model import DeliveryConfig, EnvironmentConfig
from config.rules import (
    validate_delivery,
    validate_delivery_with_environments,
    validate_environment,
    validate_together,
)

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = "defaults.toml"
DELIVERY_FILE = "delivery.toml"
# Promotion order: each environment receives only what passed the one before it.
ENVIRONMENT_NAMES: tuple[str, ...] = ("dev", "qa", "staging", "uat", "prod")


class ConfigError(ValueError):
    """A configuration that must not be synthesized; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid platform configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def load_environments(selected: str | None = None, config_dir: Path = CONFIG_DIR) -> tuple[EnvironmentConfig, ...]:
    """All environments in promotion order, or only `selected` (an environment name, or "all").

    Every environment is validated even when one is selected: cross-environment rules (overlapping
    CIDRs in one account, duplicate branches) must hold whichever stage is being synthesized.
    """
    if selected is not None and selected not in (*ENVIRONMENT_NAMES, "all"):
        raise ConfigError(
            [f"unknown environment {selected!r} (context 'env'); valid: {', '.join(ENVIRONMENT_NAMES)} or all"]
        )
    defaults = _read_toml(config_dir / DEFAULTS_FILE)
    environments: list[EnvironmentConfig] = []
    problems: list[str] = []
    for name in ENVIRONMENT_NAMES:
        path = config_dir / f"{name}.toml"
        try:
            raw = _merge(defaults, _read_toml(path))
        except ConfigError as error:
            problems.extend(error.problems)
            continue
        where = f"{path.name} (environment {name!r})"
        if raw.get("name", name) != name:
            problems.append(f"{where}: field 'name' = {raw['name']!r} must equal the file name {name!r}")
            continue
        raw["name"] = name
        build_problems: list[str] = []
        environment = typing.cast(EnvironmentConfig, _build(EnvironmentConfig, raw, "", build_problems))
        if build_problems:
            problems.extend(f"{where}: {p}" for p in build_problems)
            continue
        problems.extend(f"{where}: {p}" for p in validate_environment(environment))
        environments.append(environment)
    if not problems:
        problems.extend(validate_together(environments))
    if problems:
        raise ConfigError(problems)
    if selected in (None, "all"):
        return tuple(environments)
    return tuple(e for e in environments if e.name == selected)


def load_delivery(config_dir: Path = CONFIG_DIR) -> DeliveryConfig:
    """The delivery path's settings (`delivery.toml`), validated like an environment's and against every
    environment of `config_dir` (the pipeline promotes through all of them)."""
    path = config_dir / DELIVERY_FILE
    raw = _read_toml(path)
    problems: list[str] = []
    delivery = typing.cast(DeliveryConfig, _build(DeliveryConfig, raw, "", problems))
    if not problems:
        problems.extend(validate_delivery(delivery))
    if not problems:
        problems.extend(validate_delivery_with_environments(delivery, load_environments(None, config_dir)))
    if problems:
        raise ConfigError([f"{path.name}: {p}" for p in problems])
    return delivery


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([f"{path.name}: file not found in {path.parent}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{path.name}: not valid TOML: {error}"]) from None


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, any other value in `override` replaces the base's."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _build(cls: type, raw: Any, prefix: str, problems: list[str]) -> Any:
    if not isinstance(raw, dict):
        problems.append(f"field {prefix.rstrip('.') or '(top level)'!r} must be a table, got {raw!r}")
        return None
    problems_before = len(problems)
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in raw:
        if key not in names:
            problems.append(f"unknown key {prefix + key!r}; allowed here: {', '.join(names)}")
    values: dict[str, Any] = {}
    for name in names:
        field_path = prefix + name
        expected = hints[name]
        optional = _is_optional(expected)
        if name not in raw:
            if optional:
                values[name] = None
                continue
            problems.append(f"missing key {field_path!r}")
            continue
        values[name] = _convert(_strip_optional(expected), raw[name], field_path, problems)
    if len(problems) > problems_before:
        return None
    return cls(**values)


def _convert(expected: Any, value: Any, field_path: str, problems: list[str]) -> Any:
    if isinstance(expected, type) and dataclasses.is_dataclass(expected):
        return _build(expected, value, field_path + ".", problems)
    if isinstance(expected, type) and issubclass(expected, StrEnum):
        allowed = [member.value for member in expected]
        if value not in allowed:
            problems.append(f"field {field_path!r} = {value!r} is not allowed; allowed: {', '.join(allowed)}")
            return None
        return expected(value)
    # bool is a subclass of int: refuse `true` where a number is expected, and 1 where a flag is.
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append(f"field {field_path!r} = {value!r} must be an integer")
        return None
    if expected is not int and not isinstance(value, expected):
        problems.append(f"field {field_path!r} = {value!r} must be of type {expected.__name__}")
        return None
    return value


def _is_optional(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) and type(None) in typing.get_args(annotation)


def _strip_optional(annotation: Any) -> Any:
    if _is_optional(annotation):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return inner
    return annotation
