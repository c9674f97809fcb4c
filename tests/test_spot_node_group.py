"""Spot nodes: one group per zone, joined only after custom networking is in place, with exact max pods, on AL2023."""

import json
import re
from typing import Any

import celpy
from hypothesis import given
from hypothesis import strategies as st

from podnet.constructs.spot_node_group import rolling_update_min_in_service
from tests.conftest import PINNED_AMI_RELEASE
from tests.support.cfn_tokens import render
from tests.support.node_groups import SYSTEM, launch_template, node_groups, tags
from tests.support.synth import Synthesized, config_for, synthesize


def _one(app: Synthesized, resource_type: str) -> tuple[str, dict[str, Any]]:
    ((lid, resource),) = app.resources("cluster", resource_type).items()
    return lid, resource


def evaluate_max_pods(expression: str, enis: int, ips_per_eni: int) -> int:
    """Run the expression in a real CEL engine with nodeadm's variables.

    The compiled runner, as in tests/test_max_pods.py: with cel-python 0.5, an evaluation by the default
    (interpreted) runner before any compiled one breaks every later CompiledRunner in the process.
    """
    environment = celpy.Environment(runner_class=celpy.CompiledRunner)
    program = environment.program(environment.compile(expression))
    activation = {
        "default_enis": celpy.celtypes.IntType(enis),
        "ips_per_eni": celpy.celtypes.IntType(ips_per_eni),
        "max_pods": celpy.celtypes.IntType(0),
    }
    result = program.evaluate(activation)
    assert isinstance(result, celpy.celtypes.IntType), result
    return int(result)


def _prerequisites(template: dict[str, Any], logical_id: str) -> set[str]:
    """Every resource CloudFormation creates before ``logical_id``: DependsOn and Ref/GetAtt, transitively."""
    resources = template["Resources"]

    def direct(lid: str) -> set[str]:
        resource = resources[lid]
        depends_on = resource.get("DependsOn", [])
        found = set([depends_on] if isinstance(depends_on, str) else depends_on)
        text = json.dumps(resource.get("Properties", {}))
        found |= {ref for ref in re.findall(r'"Ref": "([^"]+)"', text) if ref in resources}
        found |= {att for att in re.findall(r'"Fn::GetAtt": \["([^"]+)"', text) if att in resources}
        return found

    seen: set[str] = set()
    pending = direct(logical_id)
    while pending:
        lid = pending.pop()
        if lid not in seen:
            seen.add(lid)
            pending |= direct(lid)
    return seen


def test_every_node_group_waits_for_the_cni_add_on_custom_networking_aws_auth_and_aws_node_identity(
    default_app: Synthesized,
) -> None:
    resources = default_app.cluster["Resources"]
    (patch_id,) = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesPatch")
    manifests = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
    eni_id = next(lid for lid in manifests if lid.startswith("ClusterEniConfigs"))
    auth_id = next(lid for lid in manifests if lid.startswith("ClusterAwsAuth"))
    addons = {
        r["Properties"]["AddonName"]: lid for lid, r in default_app.resources("cluster", "AWS::EKS::Addon").items()
    }
    agent_id, vpc_cni_id = addons["eks-pod-identity-agent"], addons["vpc-cni"]
    (association_id,) = [
        lid
        for lid, r in default_app.resources("cluster", "AWS::EKS::PodIdentityAssociation").items()
        if r["Properties"]["ServiceAccount"] == "aws-node"
    ]
    assert all(resources[lid]["Type"].startswith("Custom::") for lid in (patch_id, eni_id, auth_id))
    groups = [*node_groups(default_app).values(), *node_groups(default_app, SYSTEM).values()]
    assert len(groups) == 5, "three spot groups and two system groups"
    for group_id, _ in groups:
        prerequisites = _prerequisites(default_app.cluster, group_id)
        assert {patch_id, eni_id, auth_id, agent_id, association_id, vpc_cni_id} <= prerequisites


def test_prerequisites_follow_references_and_depends_on() -> None:
    """The closure above finds indirect prerequisites, and only those."""
    template = {
        "Resources": {
            "Group": {"Properties": {"Template": {"Ref": "LaunchTemplate"}}, "DependsOn": ["Patch"]},
            "LaunchTemplate": {"Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
            "Role": {"Properties": {}},
            "Patch": {"Properties": {"Cluster": {"Ref": "Cluster"}}, "DependsOn": "Barrier"},
            "Cluster": {"Properties": {}},
            "Barrier": {"Properties": {}},
            "Unrelated": {"Properties": {}, "DependsOn": ["Group"]},
        }
    }
    assert _prerequisites(template, "Group") == {"LaunchTemplate", "Role", "Patch", "Cluster", "Barrier"}


def test_mixed_instances_policy_is_all_spot_and_diversified(default_app: Synthesized) -> None:
    for _, group in node_groups(default_app).values():
        properties = group["Properties"]
        policy = properties["MixedInstancesPolicy"]
        assert policy["InstancesDistribution"] == {
            "OnDemandBaseCapacity": 0,
            "OnDemandPercentageAboveBaseCapacity": 0,
            "SpotAllocationStrategy": "price-capacity-optimized",
        }
        overrides = [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]]
        assert overrides == list(default_app.config.nodes.instance_types)
        assert len(overrides) >= 4
        assert properties["CapacityRebalance"] is True
        assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1
        assert tags(group)["kubernetes.io/cluster/podnet"] == ("owned", True)


def test_groups_split_the_cluster_sizes_by_zone(default_app: Synthesized) -> None:
    """minSize 2 / maxSize 6 over three zones; the autoscaler owns the desired size, so the template has none."""
    sizes = {
        zone: (
            group["Properties"]["MinSize"],
            group["Properties"].get("DesiredCapacity"),
            group["Properties"]["MaxSize"],
        )
        for zone, (_, group) in node_groups(default_app).items()
    }
    assert sizes == {"us-east-1a": ("1", None, "2"), "us-east-1b": ("1", None, "2"), "us-east-1c": ("0", None, "2")}
    for _, group in node_groups(default_app).values():
        rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
        # CloudFormation rejects MinInstancesInService >= MaxSize.
        assert rolling["MinInstancesInService"] < int(group["Properties"]["MaxSize"])
        assert rolling["MinInstancesInService"] == int(group["Properties"]["MinSize"])


def test_without_the_autoscaler_groups_keep_a_desired_size(no_autoscaler_app: Synthesized) -> None:
    sizes = {
        zone: (group["Properties"]["MinSize"], group["Properties"]["DesiredCapacity"], group["Properties"]["MaxSize"])
        for zone, (_, group) in node_groups(no_autoscaler_app).items()
    }
    assert sizes == {"us-east-1a": ("1", "1", "2"), "us-east-1b": ("1", "1", "2"), "us-east-1c": ("0", "1", "2")}


def test_groups_share_one_launch_template(default_app: Synthesized) -> None:
    template_id, _ = launch_template(default_app)
    for _, group in node_groups(default_app).values():
        specification = group["Properties"]["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
        assert specification["LaunchTemplateId"] == {"Ref": template_id}


#: A fixed-size group (minSize = desiredSize = maxSize), the case CloudFormation's rolling update used to refuse.
FIXED_SIZE = {"nodes": {"minSize": 4, "desiredSize": 4, "maxSize": 4}}


def _rolling_updates(app: Synthesized) -> list[tuple[int, int, int]]:
    """(MinSize, MinInstancesInService, MaxSize) of each zone's group, in zone order."""
    updates = []
    for _, group in node_groups(app).values():
        rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
        properties = group["Properties"]
        updates.append((int(properties["MinSize"]), int(rolling["MinInstancesInService"]), int(properties["MaxSize"])))
    return updates


def test_rolling_update_keeps_each_groups_min_size_in_service(default_app: Synthesized) -> None:
    # minSize 2 and maxSize 6 over three zones: 1/1/0 and 2/2/2.
    assert _rolling_updates(default_app) == [(1, 1, 2), (1, 1, 2), (0, 0, 2)]


def test_a_fixed_size_group_can_still_roll() -> None:
    """CloudFormation requires MinInstancesInService below MaxSize; one node at a time is replaced instead."""
    # 4/4/4 over three zones: 2/1/1 nodes, each group min = max.
    assert _rolling_updates(synthesize(config_for(FIXED_SIZE))) == [(2, 1, 2), (1, 0, 1), (1, 0, 1)]


@given(min_size=st.integers(0, 50), extra=st.integers(0, 50))
def test_rolling_update_is_possible_for_every_valid_size(min_size: int, extra: int) -> None:
    max_size = max(1, min_size + extra)
    in_service = rolling_update_min_in_service(min_size, max_size)
    assert 0 <= in_service < max_size
    assert in_service == min_size or min_size == max_size


def test_nodes_run_only_in_zones_with_a_pod_subnet(origin_app: Synthesized) -> None:
    assert list(node_groups(origin_app)) == ["us-east-1a"]


def test_launch_template_is_al2023_imdsv2_encrypted_without_ssh(default_app: Synthesized) -> None:
    _, template = launch_template(default_app)
    data = template["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {"HttpPutResponseHopLimit": 1, "HttpTokens": "required"}
    (volume,) = data["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True and volume["Ebs"]["VolumeType"] == "gp3"
    assert "KeyName" not in data
    parameter = default_app.cluster["Parameters"][data["ImageId"]["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    # Pinned by default: the parameter of one release, which never changes (tests/test_ami_releases.py).
    assert parameter["Default"] == (
        "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/"
        "amazon-eks-node-al2023-x86_64-standard-1.36-v20260714/image_id"
    )


def _ami_parameter(app: Synthesized) -> str:
    _, template = launch_template(app)
    image = template["Properties"]["LaunchTemplateData"]["ImageId"]
    return str(app.cluster["Parameters"][image["Ref"]]["Default"])


def test_pinned_ami_release_uses_that_release_parameter(prefix_delegation_app: Synthesized) -> None:
    version = prefix_delegation_app.config.kubernetes_version
    assert _ami_parameter(prefix_delegation_app) == (
        f"/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/x86_64/standard/"
        f"amazon-eks-node-al2023-x86_64-standard-{version}-{PINNED_AMI_RELEASE}/image_id"
    )


def test_node_role_policies(default_app: Synthesized) -> None:
    (role,) = [
        r for lid, r in default_app.resources("cluster", "AWS::IAM::Role").items() if lid.startswith("SpotNodes")
    ]
    policies = {render(arn).rsplit("/", 1)[1] for arn in role["Properties"]["ManagedPolicyArns"]}
    # No AmazonEKS_CNI_Policy: aws-node has it through Pod Identity (tests/test_aws_node_pod_identity.py).
    assert policies == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    }


def test_user_data_is_a_nodeadm_node_config(default_app: Synthesized) -> None:
    (cluster_id,) = default_app.resources("cluster", "AWS::EKS::Cluster")
    config = default_app.node_config()
    assert (config["apiVersion"], config["kind"]) == ("node.eks.aws/v1alpha1", "NodeConfig")
    assert config["spec"]["cluster"] == {
        "name": "podnet",
        "apiServerEndpoint": f"<{cluster_id}.Endpoint>",
        "certificateAuthority": f"<{cluster_id}.CertificateAuthorityData>",
        "cidr": "172.20.0.0/16",
    }
    assert "config" not in config["spec"]["kubelet"], "a static maxPods would mis-size kube-reserved memory"


def test_max_pods_expression_matches_the_field_guide(default_app: Synthesized) -> None:
    expression = default_app.node_config()["spec"]["kubelet"]["maxPodsExpression"]
    # (ENIs, IPv4 per ENI) -> custom-networking max pods, capped at 110.
    assert evaluate_max_pods(expression, 3, 6) == 12  # t3.medium
    assert evaluate_max_pods(expression, 3, 10) == 20  # m5.large
    assert evaluate_max_pods(expression, 4, 15) == 44  # m5.xlarge
    assert evaluate_max_pods(expression, 15, 50) == 110  # m5.24xlarge, capped


def test_prefix_delegation_expression(prefix_delegation_app: Synthesized) -> None:
    expression = prefix_delegation_app.node_config()["spec"]["kubelet"]["maxPodsExpression"]
    assert evaluate_max_pods(expression, 3, 6) == 110  # t3.medium: (3-1)*(5*16)+2 = 162, capped
    assert evaluate_max_pods(expression, 2, 4) == 50  # m7a.medium: (2-1)*(3*16)+2


def test_cni_change_rolls_the_nodes_and_a_size_change_does_not(default_app: Synthesized) -> None:
    def fingerprint(app: Synthesized) -> str:
        _, template = launch_template(app)
        (instance_tags,) = [
            s
            for s in template["Properties"]["LaunchTemplateData"]["TagSpecifications"]
            if s["ResourceType"] == "instance"
        ]
        value: str = next(t["Value"] for t in instance_tags["Tags"] if t["Key"] == "podnet:cni-settings")
        return value

    resized = synthesize(config_for({"nodes": {"maxSize": 9}}))
    moved = synthesize(config_for({"podCidr": "100.65.0.0/16"}))
    assert fingerprint(resized) == fingerprint(default_app)
    assert fingerprint(moved) != fingerprint(default_app)
