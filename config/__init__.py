"""Platform configuration: TOML files in this folder, loaded into frozen, validated objects."""

from config.loader import ENVIRONMENT_NAMES, ConfigError, load_delivery, load_environments
from config.model import SEVERITIES, DeliveryConfig, EnvironmentConfig, Profile

__all__ = [
    "ENVIRONMENT_NAMES",
    "SEVERITIES",
    "ConfigError",
    "DeliveryConfig",
    "EnvironmentConfig",
    "Profile",
    "load_delivery",
    "load_environments",
]
