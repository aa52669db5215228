"""One JSON snapshot per stack per environment: any change to a template shows up in review.

Asset hashes change with unrelated packaging details, so they are masked; everything else is
compared exactly. Update deliberately with `.venv/bin/pytest tests/infra/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import json
import re

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from config import load_environments

STACK_IDS = ("Keys", "Network", "Data", "Service")
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def masked(template: dict) -> dict:
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stage", [e.stage_id for e in load_environments()])
@pytest.mark.parametrize("stack", STACK_IDS)
def test_template_matches_snapshot(synthesized, json_snapshot: SnapshotAssertion, stage: str, stack: str) -> None:
    assert masked(synthesized.template(stage, stack)) == json_snapshot(name=f"{stage}-{stack}")


def test_every_synthesized_stack_has_a_snapshot(synthesized) -> None:
    stages = {e.stage_id for e in load_environments()}
    assert set(synthesized.templates) == {(stage, stack) for stage in stages for stack in STACK_IDS}
