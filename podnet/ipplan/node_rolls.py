"""Node rolls: the cluster-wide disruption budget, and how long a roll takes and how many nodes it takes out at once.

A roll is CloudFormation's ``AutoScalingRollingUpdate`` of every node group after a launch template change (AMI,
user data, CNI settings). podnet rolls the groups one after another (``DependsOn``), each in batches of at most the
budget, and counts a replacement only when its node sends the Ready signal (``WaitOnResourceSignals``). The README
("How a node roll proceeds") explains the steps; this module turns the settings into numbers for ``podnet plan``.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Share of the cluster's nodes a roll may replace at once (``nodes.maxUnavailablePercent``), like Karpenter's
#: default disruption budget for drift (10 %) and an EKS managed node group's ``maxUnavailablePercentage``.
DEFAULT_MAX_UNAVAILABLE_PERCENT = 10.0

#: PauseTime of the rolling update with ``WaitOnResourceSignals``: how long CloudFormation waits for every node of a
#: batch to signal Ready, and the creation policy's timeout. Far above the typical launch-to-Ready time (below), so
#: only a node that does not join fails the roll; a batch of many spot launches has room for slow capacity.
READY_SIGNAL_TIMEOUT_SECONDS = 900

#: The node gives up waiting for Ready this long before CloudFormation would, and signals FAILURE: the stack events
#: then say which instance never became Ready instead of only that a timeout passed.
READY_SIGNAL_MARGIN_SECONDS = 60

#: Typical time from an instance launch to its node Ready, for estimates only (not measured by podnet). Launch to
#: node Registered takes about 40-80 s (aws/karpenter#6128), nodeadm's own part about 20 s of it
#: (awslabs/amazon-eks-ami#1751); Ready then needs aws-node's init, which with custom networking creates and attaches
#: one ENI, up to about 10 s (EKS Best Practices Guide, prefix mode). Rounded up to two minutes.
TYPICAL_LAUNCH_TO_READY_SECONDS = 120

#: Typical drain of a leaving node, for estimates only: the Kubernetes default terminationGracePeriodSeconds (30 s)
#: plus the termination event's way to NTH through EventBridge and SQS. An assumption, not a measurement.
TYPICAL_DRAIN_SECONDS = 60


def roll_budget(cluster_nodes: int, max_unavailable_percent: float) -> int:
    """Nodes a roll may replace at once: ``max_unavailable_percent`` of ``cluster_nodes``, rounded down, at least 1."""
    if cluster_nodes < 0 or not 0 < max_unavailable_percent <= 100:
        raise ValueError(f"no roll budget for {cluster_nodes} nodes at {max_unavailable_percent} %")
    return max(1, math.floor(cluster_nodes * max_unavailable_percent / 100))


@dataclass(frozen=True)
class RollSettings:
    """What a template's update policies and dependencies say about a roll."""

    #: MaxBatchSize of every group.
    batch_size: int
    #: True: each group's update starts when the previous group's has finished (DependsOn chain). False: all at once.
    groups_in_sequence: bool
    #: True: WaitOnResourceSignals, PauseTime is the timeout for a batch's signals. False: PauseTime is a blind pause.
    wait_for_ready: bool
    #: PauseTime in seconds.
    pause_seconds: int


@dataclass(frozen=True)
class RollTimings:
    """How long the parts of one batch take: typically (for the estimate) and at most (before the roll fails)."""

    launch_to_ready_seconds: int = TYPICAL_LAUNCH_TO_READY_SECONDS
    drain_seconds: int = TYPICAL_DRAIN_SECONDS
    #: The longest an old node can hold its termination: the terminating lifecycle hook's heartbeat timeout.
    drain_bound_seconds: int = 240


@dataclass(frozen=True)
class RollEstimate:
    """A full roll of groups of the given sizes."""

    nodes: int
    batches: int
    #: Nodes being replaced at the same time, over all groups: the capacity a roll takes out at once.
    nodes_out_at_once: int
    #: Duration with typical drains and launches.
    typical_seconds: int
    #: Duration if every batch takes as long as its timeouts allow and still succeeds.
    longest_seconds: int

    def summary(self) -> str:
        """One line for ``podnet plan``."""
        return (
            f"{self.nodes} nodes in {self.batches} batches, at most {self.nodes_out_at_once} out at once:"
            f" about {_minutes(self.typical_seconds)}, at most {_minutes(self.longest_seconds)}"
        )


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def estimate_roll(group_nodes: Sequence[int], settings: RollSettings, timings: RollTimings) -> RollEstimate:
    """Estimate a roll that replaces ``group_nodes[i]`` nodes in group i, in the groups' order.

    One batch: its old nodes drain (NTH, inside the terminating hook), then its new nodes launch and become Ready.
    Taking the two one after the other overestimates a little where they overlap. With a blind pause, a batch
    takes the pause whatever the nodes do.
    """
    if settings.batch_size < 1 or any(nodes < 0 for nodes in group_nodes):
        raise ValueError(f"cannot roll groups of {list(group_nodes)} nodes in batches of {settings.batch_size}")
    if settings.wait_for_ready:
        batch_typical = timings.drain_seconds + timings.launch_to_ready_seconds
        batch_longest = timings.drain_bound_seconds + settings.pause_seconds
    else:
        batch_typical = batch_longest = settings.pause_seconds
    batches = [math.ceil(nodes / settings.batch_size) for nodes in group_nodes]
    out = [min(nodes, settings.batch_size) for nodes in group_nodes]
    if settings.groups_in_sequence:
        rounds, out_at_once = sum(batches), max(out, default=0)
    else:
        rounds, out_at_once = max(batches, default=0), sum(out)
    return RollEstimate(
        nodes=sum(group_nodes),
        batches=sum(batches),
        nodes_out_at_once=out_at_once,
        typical_seconds=rounds * batch_typical,
        longest_seconds=rounds * batch_longest,
    )
