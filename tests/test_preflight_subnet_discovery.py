"""podnet preflight with podNetworking subnet-discovery in an existing VPC: every node subnet must be tagged
kubernetes.io/role/cni=0 (podnet cannot tag subnets it does not own). Run against moto: real boto3 calls."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from podnet.config.loading import parse_config
from podnet.preflight.account import run_checks, target_of


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _existing_vpc(tag_zone_a: bool) -> dict[str, Any]:
    """A VPC with a node subnet in two zones; the first tagged kubernetes.io/role/cni=0 if asked."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    node_subnets = {}
    for zone, cidr in (("us-east-1a", "10.20.0.0/20"), ("us-east-1b", "10.20.16.0/20")):
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
        node_subnets[zone] = {"subnetId": subnet_id, "routeTableId": table_id}
    if tag_zone_a:
        ec2.create_tags(
            Resources=[node_subnets["us-east-1a"]["subnetId"]], Tags=[{"Key": "kubernetes.io/role/cni", "Value": "0"}]
        )
    return {"vpcId": vpc_id, "cidrBlocks": ["10.20.0.0/16"], "nodeSubnets": node_subnets}


@pytest.mark.usefixtures("aws")
def test_an_untagged_node_subnet_fails_with_the_command_that_tags_it() -> None:
    existing = _existing_vpc(tag_zone_a=True)
    config = parse_config({"existingVpc": existing, "podNetworking": "subnet-discovery"})
    _, results = run_checks(target_of(config), boto3.Session(region_name="us-east-1"))
    found = {r.setting: r for r in results if r.check == "subnet-discovery"}
    assert found["existingVpc.nodeSubnets.us-east-1a"].status == "pass"
    failed = found["existingVpc.nodeSubnets.us-east-1b"]
    subnet_b = existing["nodeSubnets"]["us-east-1b"]["subnetId"]
    assert failed.status == "fail"
    assert failed.message == (
        f"existingVpc.nodeSubnets.us-east-1b: {subnet_b} is untagged for kubernetes.io/role/cni, so pods would take"
        " its routable IPs; run aws ec2"
        f" create-tags --resources {subnet_b} --tags Key=kubernetes.io/role/cni,Value=0"
    )


@pytest.mark.usefixtures("aws")
def test_custom_networking_does_not_ask_for_the_tag() -> None:
    config = parse_config({"existingVpc": _existing_vpc(tag_zone_a=False)})
    _, results = run_checks(target_of(config), boto3.Session(region_name="us-east-1"))
    assert not [r for r in results if r.check == "subnet-discovery"]
