"""Spot nodes: joined only after custom networking is in place, with exact max pods, on AL2023."""

from typing import Any

import celpy
from hypothesis import given
from hypothesis import strategies as st

from podnet.constructs.spot_node_group import rolling_update_min_in_service
from tests.support.cfn_tokens import render
from tests.support.synth import Synthesized, config_for, synthesize


def _one(app: Synthesized, resource_type: str) -> tuple[str, dict[str, Any]]:
    ((lid, resource),) = app.resources("cluster", resource_type).items()
    return lid, resource


def evaluate_max_pods(expression: str, enis: int, ips_per_eni: int) -> int:
    """Run the expression in a real CEL engine with nodeadm's variables."""
    environment = celpy.Environment()
    program = environment.program(environment.compile(expression))
    activation = {
        "default_enis": celpy.celtypes.IntType(enis),
        "ips_per_eni": celpy.celtypes.IntType(ips_per_eni),
        "max_pods": celpy.celtypes.IntType(0),
    }
    result = program.evaluate(activation)
    assert isinstance(result, celpy.celtypes.IntType), result
    return int(result)


def test_nodes_start_only_after_custom_networking_and_aws_auth(default_app: Synthesized) -> None:
    resources = default_app.cluster["Resources"]
    _, group = _one(default_app, "AWS::AutoScaling::AutoScalingGroup")
    depends_on = set(group["DependsOn"])
    (patch_id,) = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesPatch")
    manifests = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
    eni_id = next(lid for lid in manifests if lid.startswith("ClusterEniConfigs"))
    auth_id = next(lid for lid in manifests if lid.startswith("ClusterAwsAuth"))
    assert {patch_id, eni_id, auth_id} <= depends_on
    assert all(resources[lid]["Type"].startswith("Custom::") for lid in (patch_id, eni_id, auth_id))


def test_mixed_instances_policy_is_all_spot_and_diversified(default_app: Synthesized) -> None:
    _, group = _one(default_app, "AWS::AutoScaling::AutoScalingGroup")
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
    assert (properties["MinSize"], properties["DesiredCapacity"], properties["MaxSize"]) == ("2", "3", "6")
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1
    tags = {t["Key"]: t for t in properties["Tags"]}
    assert tags["kubernetes.io/cluster/podnet"]["Value"] == "owned"
    assert tags["kubernetes.io/cluster/podnet"]["PropagateAtLaunch"] is True


#: A fixed-size group (minSize = desiredSize = maxSize), the case CloudFormation's rolling update used to refuse.
FIXED_SIZE = {"nodes": {"minSize": 4, "desiredSize": 4, "maxSize": 4}}


def _rolling_update(app: Synthesized) -> tuple[int, int]:
    """(MinInstancesInService, MaxSize) of the node group's rolling update."""
    _, group = _one(app, "AWS::AutoScaling::AutoScalingGroup")
    rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    return int(rolling["MinInstancesInService"]), int(group["Properties"]["MaxSize"])


def test_rolling_update_keeps_min_size_in_service(default_app: Synthesized) -> None:
    assert _rolling_update(default_app) == (2, 6)


def test_a_fixed_size_group_can_still_roll(default_app: Synthesized) -> None:
    """CloudFormation requires MinInstancesInService below MaxSize; one node at a time is replaced instead."""
    assert _rolling_update(synthesize(config_for(FIXED_SIZE))) == (3, 4)


@given(min_size=st.integers(0, 50), extra=st.integers(0, 50))
def test_rolling_update_is_possible_for_every_valid_size(min_size: int, extra: int) -> None:
    max_size = max(1, min_size + extra)
    in_service = rolling_update_min_in_service(min_size, max_size)
    assert 0 <= in_service < max_size
    assert in_service == min_size or min_size == max_size


def test_nodes_run_only_in_zones_with_a_pod_subnet(origin_app: Synthesized) -> None:
    _, group = _one(origin_app, "AWS::AutoScaling::AutoScalingGroup")
    (subnet,) = group["Properties"]["VPCZoneIdentifier"]
    export = subnet["Fn::ImportValue"]
    network = origin_app.network
    (output,) = [o for o in network["Outputs"].values() if o["Export"]["Name"] == export]
    assert network["Resources"][output["Value"]["Ref"]]["Properties"]["AvailabilityZone"] == "us-east-1a"


def test_launch_template_is_al2023_imdsv2_encrypted_without_ssh(default_app: Synthesized) -> None:
    _, template = _one(default_app, "AWS::EC2::LaunchTemplate")
    data = template["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {"HttpPutResponseHopLimit": 1, "HttpTokens": "required"}
    (volume,) = data["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True and volume["Ebs"]["VolumeType"] == "gp3"
    assert "KeyName" not in data
    parameter = default_app.cluster["Parameters"][data["ImageId"]["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert (
        parameter["Default"]
        == "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/recommended/image_id"
    )


def test_node_role_policies(default_app: Synthesized) -> None:
    (role,) = [
        r for lid, r in default_app.resources("cluster", "AWS::IAM::Role").items() if lid.startswith("SpotNodes")
    ]
    policies = {render(arn).rsplit("/", 1)[1] for arn in role["Properties"]["ManagedPolicyArns"]}
    assert policies == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
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
        _, template = _one(app, "AWS::EC2::LaunchTemplate")
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
