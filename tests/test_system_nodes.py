"""The system nodes: on-demand, tainted, spread over zones, joined like the spot nodes, hosting the controllers."""

import json
from typing import Any

import pytest

from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.validation import validate
from podnet.ipplan.node_groups import GroupSizes
from tests.support.cfn_tokens import render
from tests.support.node_groups import SYSTEM, launch_template, node_groups, tags
from tests.support.synth import Synthesized

ADMIN = {"adminRoleArns": ["arn:aws:iam::123456789012:role/platform-admin"]}


def test_default_is_two_on_demand_nodes_in_two_zones(default_app: Synthesized) -> None:
    groups = node_groups(default_app, SYSTEM)
    assert list(groups) == ["us-east-1a", "us-east-1b"]
    for _, group in groups.values():
        properties = group["Properties"]
        assert (properties["MinSize"], properties["DesiredCapacity"], properties["MaxSize"]) == ("1", "1", "1")
        policy = properties["MixedInstancesPolicy"]
        # All on-demand: the base capacity is the whole group.
        assert policy["InstancesDistribution"]["OnDemandBaseCapacity"] == 1
        assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
        assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == ["t3.medium", "t3a.medium"]
        template_id, _ = launch_template(default_app, SYSTEM)
        specification = policy["LaunchTemplate"]["LaunchTemplateSpecification"]
        assert specification["LaunchTemplateId"] == {"Ref": template_id}
        assert tags(group)["kubernetes.io/cluster/podnet"] == ("owned", True)
        # A one-node group still rolls: CloudFormation requires MinInstancesInService below MaxSize.
        assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 0


def test_smallest_cluster_keeps_two_system_nodes_in_its_one_zone(origin_app: Synthesized) -> None:
    """examples/origin.json has one node zone: both nodes go there, and the group can still roll one at a time."""
    ((zone, (_, group)),) = node_groups(origin_app, SYSTEM).items()
    assert zone == "us-east-1a"
    properties = group["Properties"]
    assert (properties["MinSize"], properties["DesiredCapacity"], properties["MaxSize"]) == ("2", "2", "2")
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 1


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, {"us-east-1a": 1}),
        (2, {"us-east-1a": 1, "us-east-1b": 1}),
        (3, {"us-east-1a": 1, "us-east-1b": 1, "us-east-1c": 1}),
        (5, {"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 1}),
    ],
)
def test_size_spreads_over_the_node_zones(size: int, expected: dict[str, int]) -> None:
    groups = parse_config({"systemNodes": {"size": size}}).system_group_sizes
    assert groups == {zone: GroupSizes(n, n, n, n) for zone, n in expected.items()}


def test_only_the_system_nodes_are_labelled_and_tainted(default_app: Synthesized) -> None:
    flags = default_app.node_config(SYSTEM)["spec"]["kubelet"]["flags"]
    assert flags == ["--node-labels=podnet/system=true", "--register-with-taints=podnet/system=true:NoSchedule"]
    assert "flags" not in default_app.node_config()["spec"]["kubelet"], "workloads must be able to use spot nodes"
    # Everything else the nodes join with is the same.
    system, spot = default_app.node_config(SYSTEM), default_app.node_config()
    assert system["spec"]["cluster"] == spot["spec"]["cluster"]
    assert system["spec"]["kubelet"]["maxPodsExpression"] == spot["spec"]["kubelet"]["maxPodsExpression"]


def test_system_nodes_share_the_node_role(default_app: Synthesized) -> None:
    """One role: one aws-auth mapping and access entry for all nodes."""
    (role_id,) = [lid for lid in default_app.resources("cluster", "AWS::IAM::Role") if lid.startswith("SpotNodesRole")]
    profiles = default_app.resources("cluster", "AWS::IAM::InstanceProfile")
    assert len(profiles) == 2
    assert all(p["Properties"]["Roles"] == [{"Ref": role_id}] for p in profiles.values())
    assert not [lid for lid in default_app.resources("cluster", "AWS::IAM::Role") if lid.startswith(SYSTEM)]


def _core_dns(app: Synthesized) -> tuple[str, dict[str, Any]]:
    ((lid, addon),) = [
        (lid, a)
        for lid, a in app.resources("cluster", "AWS::EKS::Addon").items()
        if a["Properties"]["AddonName"] == "coredns"
    ]
    return lid, addon


def test_core_dns_add_on_runs_on_the_system_nodes(default_app: Synthesized) -> None:
    _, addon = _core_dns(default_app)
    properties = addon["Properties"]
    assert properties["ResolveConflicts"] == "OVERWRITE", "EKS already runs a self-managed CoreDNS"
    values = json.loads(render(properties["ConfigurationValues"]))
    assert values["nodeSelector"] == {"podnet/system": "true"}
    assert {"key": "podnet/system", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in values[
        "tolerations"
    ]
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in values["tolerations"]


def test_core_dns_comes_after_the_system_nodes(default_app: Synthesized) -> None:
    _, addon = _core_dns(default_app)
    system_ids = {lid for lid, _ in node_groups(default_app, SYSTEM).values()}
    assert system_ids and system_ids <= set(addon["DependsOn"])


def test_system_groups_are_drained_by_nth_like_the_spot_groups(default_app: Synthesized) -> None:
    hooks = default_app.resources("cluster", "AWS::AutoScaling::LifecycleHook").values()
    for lid, group in node_groups(default_app, SYSTEM).values():
        transitions = {
            h["Properties"]["LifecycleTransition"]
            for h in hooks
            if h["Properties"]["AutoScalingGroupName"] == {"Ref": lid}
        }
        assert transitions == {"autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"}
        assert tags(group)["aws-node-termination-handler/managed/podnet"] == ("true", True)


@pytest.mark.parametrize(
    ("system_nodes", "expected"),
    [
        ({"size": 0}, "podnet: systemNodes.size: Input should be greater than or equal to 1 (got 0)"),
        (
            {"instanceTypes": ["t3.medium", "t4g.medium"]},
            "podnet: systemNodes.instanceTypes mixes arm64 and x86_64 types, but one launch template has one AMI;"
            " list types of a single architecture",
        ),
        ({"instanceTypes": ["t3.mediun"]}, "podnet: systemNodes.instanceTypes: unknown instance type 't3.mediun'"),
    ],
)
def test_bad_system_node_settings_fail_in_one_line(system_nodes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(parse_config({**ADMIN, "systemNodes": system_nodes}))
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)
