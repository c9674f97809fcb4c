"""The node-roll budget and estimate (podnet.ipplan.node_rolls), and the figures the README gives for them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podnet.ipplan.node_groups import spread
from podnet.ipplan.node_rolls import (
    READY_SIGNAL_TIMEOUT_SECONDS,
    RollSettings,
    RollTimings,
    estimate_roll,
    roll_budget,
)

#: podnet's node rolls before issue 18: one node per zone group at a time, the zone groups in parallel, a blind
#: five-minute pause after each node.
BEFORE = RollSettings(batch_size=1, groups_in_sequence=False, wait_for_ready=False, pause_seconds=300)
TYPICAL = RollTimings()


def after(cluster_max_nodes: int, percent: float = 10) -> RollSettings:
    """The settings podnet synthesizes now (checked against the templates in tests/test_node_roll_template.py)."""
    return RollSettings(
        batch_size=roll_budget(cluster_max_nodes, percent),
        groups_in_sequence=True,
        wait_for_ready=True,
        pause_seconds=READY_SIGNAL_TIMEOUT_SECONDS,
    )


def test_budget_is_a_tenth_of_the_cluster_rounded_down_and_at_least_one() -> None:
    assert [roll_budget(nodes, 10) for nodes in (0, 1, 6, 9, 10, 19, 20, 300)] == [1, 1, 1, 1, 1, 1, 2, 30]
    assert roll_budget(300, 25) == 75
    assert roll_budget(6, 100) == 6
    for bad in (0, -5, 101):
        with pytest.raises(ValueError):
            roll_budget(6, bad)


@given(nodes=st.integers(0, 5000), percent=st.floats(0.1, 100))
def test_budget_never_exceeds_the_share_except_for_the_one_node_minimum(nodes: int, percent: float) -> None:
    budget = roll_budget(nodes, percent)
    assert budget >= 1
    assert budget == 1 or budget <= nodes * percent / 100


def test_default_cluster_before_and_after() -> None:
    """maxSize 6 over three zones: 2 nodes per group."""
    groups = spread(6, 3)
    before = estimate_roll(groups, BEFORE, TYPICAL)
    # Three zones drain one node each at the same time: half of the cluster at maxSize, all of it at desired 3.
    assert (before.batches, before.nodes_out_at_once, before.typical_seconds) == (6, 3, 600)
    now = estimate_roll(groups, after(6), TYPICAL)
    # One node at a time over the whole cluster, each 1 min drain + 2 min to Ready.
    assert (now.batches, now.nodes_out_at_once, now.typical_seconds) == (6, 1, 6 * 180)
    assert now.longest_seconds == 6 * (240 + READY_SIGNAL_TIMEOUT_SECONDS)


def test_three_hundred_nodes_before_and_after() -> None:
    """maxSize 300, 100 per zone: eight hours and more before, about an hour now."""
    groups = spread(300, 3)
    before = estimate_roll(groups, BEFORE, TYPICAL)
    assert (before.batches, before.nodes_out_at_once, before.typical_seconds) == (300, 3, 100 * 300)
    assert before.typical_seconds / 3600 > 8
    now = estimate_roll(groups, after(300), TYPICAL)
    # Budget 30: each zone in batches of 30, 30, 30, 10, the zones one after another.
    assert (now.batches, now.nodes_out_at_once) == (12, 30)
    assert now.typical_seconds == 12 * 180
    assert now.typical_seconds <= 3600
    assert now.summary() == "300 nodes in 12 batches, at most 30 out at once: about 36 min, at most 3.8 h"


def test_groups_in_parallel_add_up_what_they_take_out() -> None:
    parallel = RollSettings(batch_size=10, groups_in_sequence=False, wait_for_ready=True, pause_seconds=900)
    estimate = estimate_roll([100, 100, 100], parallel, TYPICAL)
    assert (estimate.batches, estimate.nodes_out_at_once, estimate.typical_seconds) == (30, 30, 10 * 180)


def test_a_blind_pause_takes_the_pause_whatever_the_nodes_do() -> None:
    fast = RollTimings(launch_to_ready_seconds=1, drain_seconds=1)
    assert estimate_roll([4], BEFORE, fast).typical_seconds == estimate_roll([4], BEFORE, TYPICAL).typical_seconds


def test_empty_groups_take_nothing_out() -> None:
    estimate = estimate_roll([2, 0], after(2), TYPICAL)
    assert (estimate.nodes, estimate.batches, estimate.nodes_out_at_once) == (2, 2, 1)
    with pytest.raises(ValueError):
        estimate_roll([2], RollSettings(0, True, True, 900), TYPICAL)
