"""podNetworking subnet-discovery: no ENIConfigs, pod subnets tagged for this cluster's VPC CNI, node subnets excluded,
and one more pod subnet per zone for each additional block, added with no node roll."""

from ipaddress import IPv4Network
from typing import Any

import pytest

from podnet.config.deployed import DeployedPodNetwork
from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.validation import validate
from podnet.plan import make_plan
from tests.conftest import SUBNET_DISCOVERY
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render_json
from tests.support.synth import Synthesized, config_for, synthesize


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}


def _pod_subnets(app: Synthesized) -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    for subnet in app.resources("cluster", "AWS::EC2::Subnet").values():
        zones.setdefault(subnet["Properties"]["AvailabilityZone"], []).append(subnet["Properties"]["CidrBlock"])
    return zones


def test_each_additional_block_is_one_more_pod_subnet_per_zone(subnet_discovery_app: Synthesized) -> None:
    assert _pod_subnets(subnet_discovery_app) == {
        "us-east-1a": ["100.64.0.0/18", "100.65.0.0/18"],
        "us-east-1b": ["100.64.64.0/18", "100.65.64.0/18"],
        "us-east-1c": ["100.64.128.0/18", "100.65.128.0/18"],
    }


def test_pod_subnets_are_tagged_for_this_clusters_subnet_discovery(subnet_discovery_app: Synthesized) -> None:
    """Tag key and prefix as in VPC CNI v1.22.4 pkg/awsutils/awsutils.go (subnetDiscoveryTagKey, clusterTagKeyPrefix,
    both read from the copy in tests/fixtures/upstream)."""
    source = (REPO_ROOT / "tests" / "fixtures" / "upstream" / "awsutils-v1.22.4.go").read_text()
    assert 'subnetDiscoveryTagKey           = "kubernetes.io/role/cni"' in source
    assert 'clusterTagKeyPrefix = "cni.networking.k8s.aws/cluster/"' in source
    subnets = subnet_discovery_app.resources("cluster", "AWS::EC2::Subnet").values()
    assert len(subnets) == 6
    for subnet in subnets:
        tags = _tags(subnet)
        assert tags["kubernetes.io/role/cni"] == "1"
        assert "cni.networking.k8s.aws/cluster/podnet" in tags


def test_node_subnets_are_excluded_and_public_ones_untouched(subnet_discovery_app: Synthesized) -> None:
    for subnet in subnet_discovery_app.resources("network", "AWS::EC2::Subnet").values():
        tags = _tags(subnet)
        expected = "0" if tags["aws-cdk:subnet-type"] == "Private" else None
        assert tags.get("kubernetes.io/role/cni") == expected


def test_custom_networking_leaves_subnets_untagged(default_app: Synthesized) -> None:
    for stack in ("network", "cluster"):
        for subnet in default_app.resources(stack, "AWS::EC2::Subnet").values():
            assert not {"kubernetes.io/role/cni", "cni.networking.k8s.aws/cluster/podnet"} & _tags(subnet).keys()


def test_no_eni_configs_and_aws_node_discovers_subnets(subnet_discovery_app: Synthesized) -> None:
    manifests = subnet_discovery_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
    assert not [lid for lid in manifests if lid.startswith("ClusterEniConfigs")]
    (container,) = render_json(subnet_discovery_app.aws_node_patch()["ApplyPatchJson"])["spec"]["template"]["spec"][
        "containers"
    ]
    env = {entry["name"]: entry["value"] for entry in container["env"]}
    assert env["ENABLE_SUBNET_DISCOVERY"] == "true" and env["CLUSTER_NAME"] == "podnet"
    assert env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "false"
    assert (env["WARM_IP_TARGET"], env["MINIMUM_IP_TARGET"]) == ("2", "12")


def _launch_templates(app: Synthesized) -> dict[str, Any]:
    return {
        lid: resource
        for lid, resource in app.cluster["Resources"].items()
        if resource["Type"] == "AWS::EC2::LaunchTemplate"
    }


def test_adding_a_block_adds_subnets_and_leaves_the_launch_templates_byte_identical(
    subnet_discovery_app: Synthesized,
) -> None:
    """Growth without a node roll: the nodes' launch templates (and so the groups) do not change."""
    smaller = synthesize(config_for({**SUBNET_DISCOVERY, "additionalPodCidrs": []}))
    assert _launch_templates(smaller) == _launch_templates(subnet_discovery_app)
    assert len(smaller.resources("cluster", "AWS::EC2::Subnet")) == 3
    assert {lid: r for lid, r in smaller.resources("cluster", "AWS::EC2::Subnet").items()} == {
        lid: r
        for lid, r in subnet_discovery_app.resources("cluster", "AWS::EC2::Subnet").items()
        if lid in smaller.resources("cluster", "AWS::EC2::Subnet")
    }


def test_plan_shows_the_mode_and_every_pod_subnet_of_each_zone() -> None:
    plan = make_plan(parse_config(SUBNET_DISCOVERY))
    document = plan.to_dict()
    assert document["podNetworking"] == "subnet-discovery"
    first = document["zones"][0]
    assert first["podSubnets"] == [
        {"cidr": "100.64.0.0/18", "podIps": 16379},
        {"cidr": "100.65.0.0/18", "podIps": 16379},
    ]
    assert first["podIps"] == 2 * 16379


def test_switching_modes_on_a_deployed_cluster_is_refused_with_the_steps() -> None:
    deployed = DeployedPodNetwork(
        availability_zones=("us-east-1a", "us-east-1b", "us-east-1c"),
        pod_cidrs=(IPv4Network("100.64.0.0/16"),),
        pod_subnets={
            "us-east-1a": IPv4Network("100.64.0.0/18"),
            "us-east-1b": IPv4Network("100.64.64.0/18"),
            "us-east-1c": IPv4Network("100.64.128.0/18"),
        },
    )
    with pytest.raises(ConfigError) as caught:
        make_plan(parse_config({"podNetworking": "subnet-discovery"}), deployed)
    message = str(caught.value)
    assert message.startswith("podnet: podNetworking subnet-discovery: the cluster is deployed with custom-networking")
    assert "1. deploy a second cluster" in message and "\n" not in message
    assert make_plan(parse_config({}), deployed).changes == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {
                "podNetworking": "subnet-discovery",
                "podSubnets": {"us-east-1a": "100.65.0.0/24"},
                "additionalPodCidrs": ["100.65.0.0/16"],
            },
            "podnet: podSubnets.us-east-1a 100.65.0.0/24 is outside podCidr 100.64.0.0/16",
        ),
        (
            {"podNetworking": "subnet-discovery", "additionalPodCidrs": ["100.65.0.0/27"]},
            "podnet: additionalPodCidrs 100.65.0.0/27 is too small for one pod subnet of at least /28 in each of 3",
        ),
        ({"podNetworking": "discovery"}, "podNetworking"),
    ],
)
def test_bad_subnet_discovery_settings_fail_in_one_line(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(parse_config(raw))
    assert message in str(caught.value) and "\n" not in str(caught.value)
