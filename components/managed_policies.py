"""IAM's size quota for customer managed policies, and action lists cut to fit it.

Plain Python on purpose: measuring a document needs no construct, and no jsii round trip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

# IAM quota: characters in one managed policy document, white space not counted.
MANAGED_POLICY_MAX_CHARS = 6144
# IAM quota (the adjustable default): managed policies attached to one role.
MANAGED_POLICIES_PER_ROLE = 10


def document_size(statements: Sequence[Mapping[str, object]]) -> int:
    """The characters IAM counts for a managed policy holding `statements`."""
    return len(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":")))


def allow_on_everything(sid: str, actions: Sequence[str]) -> dict[str, object]:
    """The statement as CloudFormation receives it (a list of actions: never shorter than aws-cdk-lib's form)."""
    return {"Action": list(actions), "Effect": "Allow", "Resource": "*", "Sid": sid}


def split_actions(
    actions: Sequence[str], *, sid: str, max_policies: int, limit: int = MANAGED_POLICY_MAX_CHARS
) -> list[tuple[str, ...]]:
    """`actions` in order, cut into as few groups as possible, each fitting one managed policy of `limit`
    characters as the single statement `allow_on_everything(sid, group)`."""
    groups: list[list[str]] = []
    for action in actions:
        if groups and document_size([allow_on_everything(sid, [*groups[-1], action])]) <= limit:
            groups[-1].append(action)
        elif document_size([allow_on_everything(sid, [action])]) <= limit:
            groups.append([action])
        else:
            raise ValueError(f"action {action!r} alone does not fit a managed policy of {limit} characters")
    if len(groups) > max_policies:
        raise ValueError(
            f"{len(actions)} actions need {len(groups)} managed policies of {limit} characters; "
            f"at most {max_policies} may be attached here"
        )
    return [tuple(group) for group in groups]
