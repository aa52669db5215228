"""Which roles of the tooling account must be admitted by an environment's image repository, and their names.

The pipeline's image steps run in the tooling account (`account` in delivery.toml). `publish` pushes the
scanned image to the first environment's repository; each environment's release step copies the image
from the previous environment's repository into its own, tags it, and attaches the SBOM and the signature
(scripts/image-release.sh). Within one account the steps' identity policies suffice. Across accounts the
repository must admit them in its own policy too, and a policy in another account can only name a role by
a name known at synth: the roles such a policy names get the fixed names below, the others keep the ones
CloudFormation generates.
"""

from __future__ import annotations

from collections.abc import Iterable

from config.loader import ENVIRONMENT_NAMES
from config.model import DeliveryConfig, EnvironmentConfig, ImageRepositoryAccess

PUBLISH_ROLE_NAME = "delivery-publish-image"


def release_role_name(environment: str) -> str:
    """The fixed name of `environment`'s release role, when a repository in another account names it."""
    return f"delivery-release-image-{environment}"


def crosses_accounts(delivery: DeliveryConfig, env: EnvironmentConfig) -> bool:
    """Whether the pipeline reaches `env` from another account.

    An environment without an account deploys into the pipeline's own account, and without a tooling
    account no environment names one (the loader refuses the mix).
    """
    return delivery.account is not None and env.account is not None and env.account != delivery.account


def image_repository_access(delivery: DeliveryConfig | None, env: EnvironmentConfig) -> ImageRepositoryAccess | None:
    """The tooling account's roles `env`'s repository must admit, or None when the pipeline is in its account.

    Follows the promotion order, not the environments being synthesized: `-c env=qa` builds the same stage.
    """
    if delivery is None or delivery.account is None or not crosses_accounts(delivery, env):
        return None
    position = ENVIRONMENT_NAMES.index(env.name)
    push = (release_role_name(env.name), *((PUBLISH_ROLE_NAME,) if position == 0 else ()))
    following = ENVIRONMENT_NAMES[position + 1 : position + 2]
    return ImageRepositoryAccess(
        tooling_account=delivery.account,
        push_roles=push,
        pull_roles=tuple(release_role_name(name) for name in following),
    )


def admitted_role_names(delivery: DeliveryConfig, environments: Iterable[EnvironmentConfig]) -> frozenset[str]:
    """Every role some repository policy names: exactly the roles the pipeline must give their fixed names."""
    names: set[str] = set()
    for env in environments:
        access = image_repository_access(delivery, env)
        if access is not None:
            names |= {*access.push_roles, *access.pull_roles}
    return frozenset(names)
