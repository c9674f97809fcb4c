"""Day-two changes of the pod network deploy in one step, in the order custom networking needs.

The pod subnets live in the cluster stack with everything that uses them, so no CloudFormation export pins them
(``Fn::ImportValue`` would make CloudFormation refuse to replace them) and one stack update orders the whole change:
the new subnet is created, the ENIConfig is updated to point to it, every zone's Auto Scaling group's rolling update
(to the new launch template version) replaces the nodes, and only then, in the update's cleanup phase, does
CloudFormation delete the old subnet. The comparisons below are between the templates before and after each change.
"""

import json
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from podnet.config.changes import validate_change
from podnet.config.deployed import DeployedPodNetwork, read_deployed
from tests.support import REPO_ROOT
from tests.support.cfn_graph import created_before, depends_on
from tests.support.cfn_tokens import render
from tests.support.node_groups import launch_template as spot_launch_template
from tests.support.node_groups import node_groups
from tests.support.synth import Synthesized, config_for, synthesize

ORIGIN = json.loads((REPO_ROOT / "examples" / "origin.json").read_text())
#: Default configuration with us-east-1a moved to the free quarter of podCidr.
MOVED: dict[str, Any] = {
    "podSubnets": {"us-east-1a": "100.64.192.0/18", "us-east-1b": "100.64.64.0/18", "us-east-1c": "100.64.128.0/18"}
}
#: Default configuration after two moves in one deploy: us-east-1a into a new block (a subnet twice as large),
#: us-east-1c to the free quarter of podCidr.
MOVES: dict[str, Any] = {
    "additionalPodCidrs": ["100.65.0.0/16"],
    "podSubnets": {"us-east-1a": "100.65.0.0/17", "us-east-1b": "100.64.64.0/18", "us-east-1c": "100.64.192.0/18"},
}
#: examples/origin.json with a pod subnet for us-east-1b too, so nodes run there.
ZONE_ADDED = {**ORIGIN, "podSubnets": {**ORIGIN["podSubnets"], "us-east-1b": "172.2.4.0/24"}}


@dataclass(frozen=True)
class Change:
    before: Synthesized
    after: Synthesized

    @property
    def zones(self) -> dict[str, IPv4Network]:
        """Zones whose pod subnet is new or moved -> the new CIDR."""
        old, new = self.before.config.pod_subnet_cidrs, self.after.config.pod_subnet_cidrs
        return {zone: cidr for zone, cidr in new.items() if old.get(zone) != cidr}


def _one(app: Synthesized, resource_type: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = app.resources("cluster", resource_type).items()
    return logical_id, resource


def _pod_subnet(app: Synthesized, zone: str) -> str:
    """Logical id of the cluster stack's pod subnet in ``zone``."""
    (logical_id,) = [
        lid
        for lid, subnet in app.resources("cluster", "AWS::EC2::Subnet").items()
        if subnet["Properties"]["AvailabilityZone"] == zone
        and IPv4Network(subnet["Properties"]["CidrBlock"]) == app.config.pod_subnet_cidrs[zone]
    ]
    return logical_id


def _manifest_id(app: Synthesized, construct: str) -> str:
    (logical_id,) = [
        lid
        for lid in app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
        if lid.startswith(f"Cluster{construct}")
    ]
    return logical_id


@pytest.fixture(scope="module", params=["zone-added", "zones-moved"])
def change(request: pytest.FixtureRequest) -> Change:
    """Before and after one change; "before" is a session app, so each case costs one synth."""
    if request.param == "zone-added":
        return Change(request.getfixturevalue("origin_app"), synthesize(config_for(ZONE_ADDED)))
    return Change(request.getfixturevalue("default_app"), synthesize(config_for(MOVES)))


def test_pod_subnets_are_not_exported_by_the_network_stack(default_app: Synthesized, origin_app: Synthesized) -> None:
    """No pod subnet or CIDR association in the network stack, so no export of one and no Fn::ImportValue of one."""
    for app in (default_app, origin_app):
        assert app.resources("network", "AWS::EC2::VPCCidrBlock") == {}
        for subnet in app.resources("network", "AWS::EC2::Subnet").values():
            assert IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(app.config.vpc_cidr)
        for zone in app.config.pod_subnet_cidrs:
            _pod_subnet(app, zone)  # in the cluster stack
        pod_network_users = [app.cluster["Resources"][_manifest_id(app, "EniConfigs")], app.cluster["Outputs"]]
        assert "Fn::ImportValue" not in json.dumps(pod_network_users)


def test_the_network_stack_does_not_change(change: Change) -> None:
    """A pod network change is one cluster stack update; the network stack deploys nothing."""
    assert change.before.network == change.after.network


def test_new_subnet_then_eni_config_then_rolling_update(change: Change) -> None:
    after = change.after.cluster
    eni_configs = _manifest_id(change.after, "EniConfigs")
    groups = node_groups(change.after)
    launch_template, _ = spot_launch_template(change.after)
    association_of = {
        IPv4Network(r["Properties"]["CidrBlock"]): lid
        for lid, r in change.after.resources("cluster", "AWS::EC2::VPCCidrBlock").items()
    }
    assert change.zones, "the change moves no pod subnet, so this comparison proves nothing"
    for zone, cidr in change.zones.items():
        subnet = _pod_subnet(change.after, zone)
        (block,) = [block for block in association_of if cidr.subnet_of(block)]
        assert association_of[block] in depends_on(after["Resources"][subnet]), "subnet before its CIDR block"
        (eni_config,) = [e for e in change.after.kubernetes_manifest("EniConfigs") if e["metadata"]["name"] == zone]
        assert eni_config["spec"]["subnet"] == f"<{subnet}.SubnetId>"
        assert subnet in created_before(after, eni_configs)
        assert zone in groups, f"no node group in {zone}, whose pod subnet changed"
    # Nodes start only in the rolling update, which waits for the ENIConfigs and the new launch template version;
    # every group uses the one launch template, so every group rolls.
    for asg_id, asg in groups.values():
        assert eni_configs in depends_on(asg)
        assert {eni_configs, launch_template} <= created_before(after, asg_id)
        assert asg["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1
        specification = asg["Properties"]["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
        assert specification["Version"] == {"Fn::GetAtt": [launch_template, "LatestVersionNumber"]}
    _, template_before = spot_launch_template(change.before)
    assert after["Resources"][launch_template] != template_before, "no new launch template version: nodes keep old ENIs"


def test_a_new_block_is_associated_before_its_subnets(change: Change) -> None:
    """A block not associated before gets an association of its own (the one of podCidr stays as it was)."""
    old_blocks = {
        lid: r["Properties"]["CidrBlock"]
        for lid, r in change.before.resources("cluster", "AWS::EC2::VPCCidrBlock").items()
    }
    new_blocks = {
        lid: r["Properties"]["CidrBlock"]
        for lid, r in change.after.resources("cluster", "AWS::EC2::VPCCidrBlock").items()
    }
    added = {lid: block for lid, block in new_blocks.items() if lid not in old_blocks}
    assert sorted(added.values()) == sorted(
        str(block) for block in change.after.config.pod_cidrs if block not in change.before.config.pod_cidrs
    )
    assert {lid: new_blocks[lid] for lid in old_blocks} == old_blocks, "an association would be replaced"


def test_the_replaced_subnet_is_left_for_the_cleanup_phase(change: Change) -> None:
    """A moved zone's old subnet is replaced (same logical id, new CidrBlock) and a new zone's subnet is new:
    either way CloudFormation creates the new subnet first and deletes the old one only after the update."""
    before = change.before.cluster["Resources"]
    after = change.after.cluster["Resources"]
    for zone in change.zones:
        subnet = _pod_subnet(change.after, zone)
        if zone in change.before.config.pod_subnet_cidrs:
            assert _pod_subnet(change.before, zone) == subnet
            assert before[subnet]["Properties"]["CidrBlock"] != after[subnet]["Properties"]["CidrBlock"]
        else:
            assert subnet not in before


def test_removing_a_zones_pod_subnet_rolls_its_nodes_out(origin_app: Synthesized) -> None:
    """The reverse of adding one: the zone's ENIConfig and node group go (NTH drains the nodes as the group is
    deleted), the subnet is deleted after them."""
    with_zone = synthesize(config_for(ZONE_ADDED))
    removed = _pod_subnet(with_zone, "us-east-1b")
    assert removed not in origin_app.cluster["Resources"]
    assert [e["metadata"]["name"] for e in origin_app.kubernetes_manifest("EniConfigs")] == ["us-east-1a"]
    groups_with, groups_without = node_groups(with_zone), node_groups(origin_app)
    assert sorted(groups_with) == ["us-east-1a", "us-east-1b"]
    assert sorted(groups_without) == ["us-east-1a"]
    assert groups_without["us-east-1a"][0] == groups_with["us-east-1a"][0], "the remaining zone's group is kept"
    # Deleted in the update's cleanup phase, in reverse order: the group (it depends on the ENIConfigs, which
    # depend on the subnet) goes before the subnet.
    removed_group, _ = groups_with["us-east-1b"]
    assert removed in created_before(with_zone.cluster, removed_group)


def test_plan_reads_the_deployed_stack_output(default_app: Synthesized, tmp_path: Path) -> None:
    """The CustomNetworking output, saved as docs/day-two.md says, is what ``podnet plan --deployed`` compares with."""
    saved = tmp_path / "deployed.json"
    saved.write_text(render(default_app.cluster["Outputs"]["CustomNetworking"]["Value"]))
    deployed = read_deployed(saved)
    config = default_app.config
    assert deployed == DeployedPodNetwork(config.availability_zones, config.pod_cidrs, config.pod_subnet_cidrs)
    (line,) = validate_change(config_for(MOVED), deployed)
    assert line.startswith("us-east-1a: pod subnet 100.64.0.0/18 -> 100.64.192.0/18: one step")


def test_a_kubernetes_upgrade_updates_the_cluster_in_place_then_rolls_the_nodes(default_app: Synthesized) -> None:
    """kubernetesVersion one minor up: the same AWS::EKS::Cluster (no replacement) gets the new Version, and the
    nodes roll to the new version's AMI only after the control plane is updated."""
    previous = synthesize(config_for({"kubernetesVersion": "1.35"}))
    upgraded = default_app
    (cluster_id, before), (same_id, after) = (_one(app, "AWS::EKS::Cluster") for app in (previous, upgraded))
    assert same_id == cluster_id
    assert (before["Properties"]["Version"], after["Properties"]["Version"]) == ("1.35", "1.36")
    assert {k: v for k, v in before["Properties"].items() if k != "Version"} == {
        k: v for k, v in after["Properties"].items() if k != "Version"
    }
    launch_template, template_after = spot_launch_template(upgraded)
    assert spot_launch_template(previous)[1] != template_after, "nodes would keep the old AMI"
    groups = node_groups(upgraded)
    assert groups
    for asg_id, _ in groups.values():
        assert {cluster_id, launch_template} <= created_before(upgraded.cluster, asg_id)
