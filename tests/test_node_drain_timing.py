"""The timing chain of a leaving node, read from what is deployed: pod grace < drain < heartbeat <= rolling pause."""

import re

from podnet.constructs.node_drain_timing import POD_TERMINATION_GRACE_SECONDS
from podnet.constructs.node_termination_handler import RELEASE
from tests.support.synth import Synthesized


def _iso_seconds(duration: str) -> int:
    """Seconds of an ISO 8601 duration such as ``PT5M`` or ``PT4M30S`` (CloudFormation's PauseTime format)."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", duration)
    assert match, duration
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def test_iso_seconds() -> None:
    assert [_iso_seconds(d) for d in ("PT5M", "PT4M30S", "PT1H", "PT240S")] == [300, 270, 3600, 240]


def test_each_stage_outlasts_the_one_it_contains(default_app: Synthesized) -> None:
    drain = default_app.helm_chart(RELEASE)["Values"]["nodeTerminationGracePeriod"]
    groups = default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup")
    hooks = {
        h["Properties"]["AutoScalingGroupName"]["Ref"]: h["Properties"]
        for h in default_app.resources("cluster", "AWS::AutoScaling::LifecycleHook").values()
        if h["Properties"]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    }
    assert groups.keys() == hooks.keys()
    for lid, group in groups.items():
        heartbeat = hooks[lid]["HeartbeatTimeout"]
        pause = _iso_seconds(group["UpdatePolicy"]["AutoScalingRollingUpdate"]["PauseTime"])
        assert POD_TERMINATION_GRACE_SECONDS < drain < heartbeat <= pause, (
            POD_TERMINATION_GRACE_SECONDS,
            drain,
            heartbeat,
            pause,
        )
        # HeartbeatTimeout's range: 30 s to 2 h (AWS::AutoScaling::LifecycleHook; NTH's README: "maximum heartbeat
        # timeout of two hours").
        assert 30 <= heartbeat <= 7200


def test_a_new_node_has_until_its_launch_event_expires_to_become_ready(default_app: Synthesized) -> None:
    """NTH completes the launch action from the queued event: a longer heartbeat would only delay the CONTINUE."""
    (queue,) = default_app.resources("cluster", "AWS::SQS::Queue").values()
    launching = [
        h["Properties"]
        for h in default_app.resources("cluster", "AWS::AutoScaling::LifecycleHook").values()
        if h["Properties"]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    ]
    assert len(launching) == len(default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup"))
    for hook in launching:
        assert hook["HeartbeatTimeout"] == queue["Properties"]["MessageRetentionPeriod"]
