"""Resizing or retyping the nodes must not replace the network or the cluster.

CloudFormation replaces a VPC, subnet, CIDR association or EKS cluster whose logical id or immutable properties
change, which would take every pod down. A node change may touch only the launch template and the Auto Scaling group.
"""

import shutil
from pathlib import Path
from typing import Any

import pytest

from podnet.constructs import node_termination_handler, packaged_helm_chart
from podnet.ipplan.ami_releases import PINNED_AMI_RELEASES, release_image_parameter
from tests.support.synth import Synthesized, config_for, synthesize, synthesize_json

STACKS = ("network", "cluster")
NODE_GROUP_TYPES = frozenset({"AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup"})
MUST_NOT_CHANGE = (
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPCCidrBlock",
    "AWS::EC2::Route",
    "AWS::EC2::NatGateway",
    "AWS::EKS::Cluster",
    "Custom::AWSCDK-EKS-KubernetesResource",  # the ENIConfigs and aws-auth manifests
    "Custom::AWSCDK-EKS-KubernetesPatch",  # the aws-node patch
)


def _resources(app: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    """(stack, logical id) -> resource, across both stacks."""
    return {(stack, lid): r for stack in STACKS for lid, r in app.template(stack)["Resources"].items()}


def _of_type(app: Synthesized, resource_type: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {key: r for key, r in _resources(app).items() if r["Type"] == resource_type}


def _changed(before: Synthesized, after: Synthesized) -> dict[tuple[str, str], str]:
    """(stack, logical id) -> type of every resource added, removed or changed in any way."""
    old, new = _resources(before), _resources(after)
    return {key: (old.get(key) or new[key])["Type"] for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"nodes": {"instanceTypes": ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"]}}, id="types"),
        # Same sizes as FIXED_SIZE in tests/test_spot_node_group.py: one synth serves both tests.
        pytest.param({"nodes": {"minSize": 4, "desiredSize": 4, "maxSize": 4}}, id="sizes"),
        pytest.param({"maxPodsCap": 250}, id="max-pods-cap"),
    ],
)
def test_node_changes_replace_nothing_but_the_node_group(overrides: dict[str, Any], default_app: Synthesized) -> None:
    changed_app = synthesize(config_for(overrides))
    assert {k: r["Type"] for k, r in _resources(changed_app).items()} == {
        k: r["Type"] for k, r in _resources(default_app).items()
    }, "a logical id changed: CloudFormation would replace that resource"
    for resource_type in MUST_NOT_CHANGE:
        kept = _of_type(default_app, resource_type)
        assert kept, f"no {resource_type} to compare"
        assert _of_type(changed_app, resource_type) == kept, resource_type
    changed = _changed(default_app, changed_app)
    assert changed, "the override changed nothing, so this comparison proves nothing"
    assert {key: kind for key, kind in changed.items() if kind not in NODE_GROUP_TYPES} == {}


def test_a_pod_cidr_change_does_move_the_cidr_association(default_app: Synthesized) -> None:
    """The inverse: the comparison above sees a change where there is one."""
    moved = synthesize(config_for({"podCidr": "100.65.0.0/16"}))
    ((key, association),) = _of_type(default_app, "AWS::EC2::VPCCidrBlock").items()
    assert _of_type(moved, "AWS::EC2::VPCCidrBlock")[key]["Properties"]["CidrBlock"] == "100.65.0.0/16"
    assert association["Properties"]["CidrBlock"] == "100.64.0.0/16"
    changed = _changed(default_app, moved)
    assert changed[key] == "AWS::EC2::VPCCidrBlock"
    assert sorted(kind for kind in changed.values() if kind == "AWS::EC2::Subnet") == ["AWS::EC2::Subnet"] * 3


def test_nth_values_and_chart_change_only_the_chart_resource(
    default_app: Synthesized, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A new NTH chart package or new chart values update the Helm release in place, and nothing else."""
    unpacked = packaged_helm_chart.chart_directory
    newer_chart = tmp_path / "newer-chart"
    shutil.copytree(unpacked(node_termination_handler.CHART_FILE), newer_chart)
    with (newer_chart / "values.yaml").open("a") as values:
        values.write("# a newer package\n")
    monkeypatch.setattr(
        packaged_helm_chart,
        "chart_directory",
        lambda chart_file: newer_chart if chart_file == node_termination_handler.CHART_FILE else unpacked(chart_file),
    )
    monkeypatch.setattr(node_termination_handler, "REPLICAS", node_termination_handler.REPLICAS + 1)
    # Not from the session cache: the same configuration, synthesized again with the patched module.
    changed_app = synthesize_json.__wrapped__(default_app.config.model_dump_json(by_alias=True))
    changed = _changed(default_app, changed_app)
    assert set(changed.values()) == {"Custom::AWSCDK-EKS-HelmChart"}, changed
    ((key, _),) = changed.items()
    before, after = _resources(default_app)[key]["Properties"], _resources(changed_app)[key]["Properties"]
    assert before["Values"] != after["Values"] and before["ChartAssetURL"] != after["ChartAssetURL"]


#: Logical ids a cluster deployed before the per-zone groups has: none may change, or CloudFormation would replace
#: it (a new node role would also change aws-auth). Only the single Auto Scaling group was replaced by one per zone.
SINGLE_GROUP_ERA_IDS = {
    "SpotNodesRole1C12A007": "AWS::IAM::Role",
    "SpotNodesLaunchTemplateProfileA5331CCA": "AWS::IAM::InstanceProfile",
    "SpotNodesLaunchTemplateADEB44B5": "AWS::EC2::LaunchTemplate",
    "ClusterEB0386A7": "AWS::EKS::Cluster",
    "ClusterEniConfigs7AD6D500": "Custom::AWSCDK-EKS-KubernetesResource",
    "ClusterAwsAuth1E3E7BB0": "Custom::AWSCDK-EKS-KubernetesResource",
    "AwsNodeCustomNetworkingPatch06A63055": "Custom::AWSCDK-EKS-KubernetesPatch",
}


def test_per_zone_groups_keep_the_ids_of_everything_but_the_group(default_app: Synthesized) -> None:
    resources = default_app.cluster["Resources"]
    assert {lid: resources[lid]["Type"] for lid in SINGLE_GROUP_ERA_IDS if lid in resources} == SINGLE_GROUP_ERA_IDS
    assert "SpotNodesASG3092897E" not in resources


#: The pod network and its teardown cleanup, with the logical ids they had in the network stack. They moved to the
#: cluster stack once, on purpose (docs/day-two.md, "Upgrading from a podnet whose network stack held the pod
#: subnets"); the ids stay, so ``cdk refactor`` can map each one to its new stack.
MOVED_TO_THE_CLUSTER_STACK = {
    "PodSubnetsPodCidrF70840EC": "AWS::EC2::VPCCidrBlock",
    "PodSubnetsPodSubnetuseast1a46A2CE15": "AWS::EC2::Subnet",
    "PodSubnetsPodSubnetuseast1b33ECE4A9": "AWS::EC2::Subnet",
    "PodSubnetsPodSubnetuseast1cA0F6AB58": "AWS::EC2::Subnet",
    "PodSubnetsPodRoutesuseast1aA4809CFB": "AWS::EC2::SubnetRouteTableAssociation",
    "PodSubnetsPodRoutesuseast1b0F38D88D": "AWS::EC2::SubnetRouteTableAssociation",
    "PodSubnetsPodRoutesuseast1c137D28EF": "AWS::EC2::SubnetRouteTableAssociation",
    "TeardownCleanupA58E1D0A": "Custom::PodnetTeardownCleanup",
}


def test_the_pod_network_moved_to_the_cluster_stack_with_its_logical_ids(default_app: Synthesized) -> None:
    network, cluster = default_app.template("network")["Resources"], default_app.cluster["Resources"]
    assert {lid: cluster[lid]["Type"] for lid in MOVED_TO_THE_CLUSTER_STACK if lid in cluster} == (
        MOVED_TO_THE_CLUSTER_STACK
    )
    assert set(MOVED_TO_THE_CLUSTER_STACK) & set(network) == set()


def test_turning_the_autoscaler_off_touches_only_node_groups_and_its_own_resources(
    default_app: Synthesized, no_autoscaler_app: Synthesized
) -> None:
    for resource_type in (*MUST_NOT_CHANGE, "AWS::EC2::LaunchTemplate"):
        kept = _of_type(no_autoscaler_app, resource_type)
        assert kept, f"no {resource_type} to compare"
        assert {key: r for key, r in _of_type(default_app, resource_type).items() if key in kept} == kept
    changed = _changed(default_app, no_autoscaler_app)
    groups = {key for key, kind in changed.items() if kind == "AWS::AutoScaling::AutoScalingGroup"}
    assert len(groups) == 3
    removed = {key for key in changed if key not in _resources(no_autoscaler_app)}
    # The kubectl provider keeps reading NTH's chart asset, so its policy is unchanged too.
    assert {key for key in changed if key not in groups} - removed == set()
    assert all(key[1].startswith(("ClusterAutoscaler", "ClusterEksPodIdentityAgent")) for key in removed)


def test_one_version_up_changes_the_control_plane_version_and_rolls_the_nodes_only(default_app: Synthesized) -> None:
    """What docs/configuration.md, "Moving a cluster up one version", relies on: from 1.35 to 1.36 the same cluster
    (same logical id) gets a new Version, the launch template a new AMI parameter (so the nodes roll), the Cluster
    Autoscaler the image of the new minor version, nothing else."""
    previous = synthesize(config_for({"kubernetesVersion": "1.35"}))
    assert default_app.config.kubernetes_version == "1.36"
    changed = _changed(previous, default_app)
    (cluster_key,) = _of_type(default_app, "AWS::EKS::Cluster")
    (autoscaler_key,) = [key for key in changed if key[1].startswith("ClusterAutoscalerChartRelease")]
    assert changed == {
        cluster_key: "AWS::EKS::Cluster",
        autoscaler_key: "Custom::AWSCDK-EKS-HelmChart",
        **{key: kind for key, kind in changed.items() if kind in NODE_GROUP_TYPES},
    }
    old_cluster, new_cluster = (_resources(app)[cluster_key]["Properties"] for app in (previous, default_app))
    assert {k: v for k, v in old_cluster.items() if k != "Version"} == {
        k: v for k, v in new_cluster.items() if k != "Version"
    }
    assert (old_cluster["Version"], new_cluster["Version"]) == ("1.35", "1.36")
    launch_templates = [key for key, kind in changed.items() if kind == "AWS::EC2::LaunchTemplate"]
    assert len(launch_templates) == 2, "the spot nodes' and the system nodes'"
    for launch_template in launch_templates:
        image = {
            app.config.kubernetes_version: _resources(app)[launch_template]["Properties"]["LaunchTemplateData"][
                "ImageId"
            ]
            for app in (previous, default_app)
        }
        parameters = {
            version: app.cluster["Parameters"][image[version]["Ref"]]["Default"]
            for version, app in (("1.35", previous), ("1.36", default_app))
        }
        # Each version's pinned release (podnet.ipplan.ami_releases), so the new version brings its own AMI.
        assert parameters == {
            version: release_image_parameter(version, "x86_64", PINNED_AMI_RELEASES[(version, "x86_64")])
            for version in ("1.35", "1.36")
        }
