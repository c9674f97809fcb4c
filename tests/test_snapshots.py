"""Snapshots of every synthesized template: any change to what gets deployed shows up in review.

After an intended change: `.venv/bin/pytest --snapshot-update` (the whole suite), then review the diff
under tests/__snapshots__/ and commit it. Assertions in the other test files say what must stay true.
"""

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.support.synth import Synthesized, snapshot_form


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", ["network", "cluster"])
def test_default_templates(default_app: Synthesized, stack: str, json_snapshot: SnapshotAssertion) -> None:
    assert snapshot_form(default_app.template(stack)) == json_snapshot


@pytest.mark.parametrize("stack", ["network", "cluster"])
def test_origin_templates(origin_app: Synthesized, stack: str, json_snapshot: SnapshotAssertion) -> None:
    assert snapshot_form(origin_app.template(stack)) == json_snapshot


def test_prefix_delegation_cluster_template(
    prefix_delegation_app: Synthesized, json_snapshot: SnapshotAssertion
) -> None:
    assert snapshot_form(prefix_delegation_app.cluster) == json_snapshot


def test_existing_vpc_cluster_template(existing_vpc_app: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    """The only stack with existingVpc (tests/test_existing_vpc.py)."""
    assert snapshot_form(existing_vpc_app.cluster) == json_snapshot
