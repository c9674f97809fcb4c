"""Node rolls as synthesized: every group gated on Ready signals, the groups in a chain, batches within the budget,
at the default size and at 300 nodes; and what `podnet plan` estimates is what the templates say."""

import email
import itertools
import re
import shlex
from typing import Any

from podnet.constructs.nodeadm_user_data import READY_SIGNAL_PATH, SIGNAL_RESOURCE_TAG, SIGNAL_STACK_TAG
from podnet.ipplan.node_rolls import (
    READY_SIGNAL_MARGIN_SECONDS,
    READY_SIGNAL_TIMEOUT_SECONDS,
    RollSettings,
    RollTimings,
    estimate_roll,
)
from tests.support.cfn_graph import created_before
from tests.support.cfn_tokens import render
from tests.support.node_groups import SPOT, SYSTEM, launch_template, node_groups, tags
from tests.support.synth import Synthesized
from tests.test_node_drain_timing import _iso_seconds


def _groups(app: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    """(logical id, group) of every group in the order they roll: the system groups, then the spot groups, each in
    the configuration's zone order."""
    ordered = []
    for prefix in (SYSTEM, SPOT):
        by_zone = node_groups(app, prefix)
        ordered += [by_zone[zone] for zone in app.config.node_availability_zones if zone in by_zone]
    assert len(ordered) == len(app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup"))
    return ordered


def _rolling(group: dict[str, Any]) -> dict[str, Any]:
    rolling: dict[str, Any] = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    return rolling


def roll_settings_of(app: Synthesized) -> RollSettings:
    """What the cluster template says about a roll, read the way CloudFormation reads it."""
    groups = _groups(app)
    (batch,) = {int(_rolling(group)["MaxBatchSize"]) for _, group in groups if int(group["Properties"]["MaxSize"]) > 1}
    (pause,) = {_iso_seconds(_rolling(group)["PauseTime"]) for _, group in groups}
    (wait,) = {_rolling(group).get("WaitOnResourceSignals", False) for _, group in groups}
    template = app.cluster
    in_sequence = all(
        earlier in created_before(template, later) for (earlier, _), (later, _) in itertools.pairwise(groups)
    )
    return RollSettings(batch_size=batch, groups_in_sequence=in_sequence, wait_for_ready=wait, pause_seconds=pause)


def test_every_replacement_waits_for_its_nodes_ready_signal(default_app: Synthesized, large_app: Synthesized) -> None:
    for app in (default_app, large_app):
        for lid, group in _groups(app):
            rolling = _rolling(group)
            assert rolling["WaitOnResourceSignals"] is True, lid
            assert _iso_seconds(rolling["PauseTime"]) == READY_SIGNAL_TIMEOUT_SECONDS
            # Every new instance must signal SUCCESS: CloudFormation's default of 100 %, not lowered.
            assert int(rolling.get("MinSuccessfulInstancesPercent", 100)) == 100
            # CloudFormation must not replace unhealthy instances or rebalance zones during the roll.
            assert {"HealthCheck", "ReplaceUnhealthy", "AZRebalance"} <= set(rolling["SuspendProcesses"])


def test_the_first_nodes_are_gated_too(default_app: Synthesized, no_autoscaler_app: Synthesized) -> None:
    """CreationPolicy: as many signals as the group starts with (min, or desired with a fixed size)."""
    for app, start in ((default_app, "MinSize"), (no_autoscaler_app, "DesiredCapacity")):
        for lid, group in _groups(app):
            count = int(group["Properties"][start])
            if count == 0:
                assert "CreationPolicy" not in group, lid
                continue
            signal = group["CreationPolicy"]["ResourceSignal"]
            assert (int(signal["Count"]), _iso_seconds(signal["Timeout"])) == (count, READY_SIGNAL_TIMEOUT_SECONDS)


def test_groups_roll_one_after_another_in_zone_order(default_app: Synthesized, large_app: Synthesized) -> None:
    for app in (default_app, large_app):
        template = app.cluster
        ids = [lid for lid, _ in _groups(app)]
        assert [SYSTEM if lid.startswith(SYSTEM) else SPOT for lid in ids] == [SYSTEM] * 2 + [SPOT] * 3
        for index, lid in enumerate(ids):
            before = created_before(template, lid)
            assert set(ids[:index]) <= before, (lid, before & set(ids))
            assert not set(ids[index + 1 :]) & before, lid
        # Each group waits for the previous one directly (one link of the chain, not through other resources).
        for previous, lid in itertools.pairwise(ids):
            assert previous in template["Resources"][lid]["DependsOn"]


def test_batches_stay_within_the_cluster_wide_budget(default_app: Synthesized, large_app: Synthesized) -> None:
    # Default: maxSize 6 + 2 system nodes, 10 % rounds down to 0, so one node at a time. 302 nodes: 30 at a time.
    for app, budget in ((default_app, 1), (large_app, 30)):
        for lid, group in _groups(app):
            assert int(_rolling(group)["MaxBatchSize"]) == min(budget, int(group["Properties"]["MaxSize"])), lid
        settings = roll_settings_of(app)
        assert settings == app.config.node_roll
        estimate = estimate_roll([int(g["Properties"]["MaxSize"]) for _, g in _groups(app)], settings, RollTimings())
        assert estimate.nodes_out_at_once == budget


def test_the_estimates_drain_bound_is_the_terminating_hooks_heartbeat(default_app: Synthesized) -> None:
    heartbeats = {
        int(hook["Properties"]["HeartbeatTimeout"])
        for hook in default_app.resources("cluster", "AWS::AutoScaling::LifecycleHook").values()
        if hook["Properties"]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    }
    assert heartbeats == {RollTimings().drain_bound_seconds}


def test_each_group_tells_its_nodes_where_to_signal(default_app: Synthesized) -> None:
    for lid, group in _groups(default_app):
        assert tags(group)[SIGNAL_RESOURCE_TAG] == (lid, True)
        (stack,) = [tag for tag in group["Properties"]["Tags"] if tag["Key"] == SIGNAL_STACK_TAG]
        assert stack == {"Key": SIGNAL_STACK_TAG, "Value": {"Ref": "AWS::StackName"}, "PropagateAtLaunch": True}


def test_nodes_may_signal_their_own_stack_only(default_app: Synthesized) -> None:
    (role_id,) = [lid for lid in default_app.resources("cluster", "AWS::IAM::Role") if lid.startswith("SpotNodes")]
    statements = [
        statement
        for policy in default_app.resources("cluster", "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("cloudformation:SignalResource", {"Ref": "AWS::StackId"})
    ]


def ready_signal_part(app: Synthesized, prefix: str = SPOT) -> str:
    """The shell script part of a launch template's user data (tokens as ``<...>``): the spot nodes' by default."""
    _, template = launch_template(app, prefix)
    message = email.message_from_string(render(template["Properties"]["LaunchTemplateData"]["UserData"]))
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/x-shellscript"]
    payload = part.get_payload()
    assert isinstance(payload, str)
    return payload


def test_user_data_starts_the_ready_signal_with_the_clusters_endpoint(default_app: Synthesized) -> None:
    """Both launch templates, the spot nodes' and the system nodes', carry the same Ready signal."""
    part = ready_signal_part(default_app)
    assert ready_signal_part(default_app, SYSTEM) == part
    (cluster_id,) = default_app.resources("cluster", "AWS::EKS::Cluster")
    (command,) = [line for line in part.splitlines() if line.startswith("systemd-run ")]
    assert shlex.split(command)[-5:] == [
        READY_SIGNAL_PATH,
        "podnet",
        f"<{cluster_id}.Endpoint>",
        str(READY_SIGNAL_TIMEOUT_SECONDS - READY_SIGNAL_MARGIN_SECONDS),
        "10",
    ]
    # The node gives up (FAILURE) before CloudFormation's own timeout would.
    assert re.search(rf"^cat > {READY_SIGNAL_PATH} <<'READY_SIGNAL'$", part, re.MULTILINE)
