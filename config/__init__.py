"""Platform configuration: TOML files in this folder, loaded into frozen, validated objects."""

from config.loader import ENVIRONMENT_NAMES, ConfigError, load_environments
from config.model import SEVERITIES, EnvironmentConfig, Profile

__all__ = ["ENVIRONMENT_NAMES", "SEVERITIES", "ConfigError", "EnvironmentConfig", "Profile", "load_environments"]
