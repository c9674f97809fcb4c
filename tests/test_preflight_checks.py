"""The pure preflight checks, on API answers in the shapes boto3 returns (captured from moto where moto models
them; the quota answer from the Service Quotas model, which moto lacks for EC2)."""

from ipaddress import IPv4Network
from typing import Any

import pytest

from podnet.config.model import ExistingSubnet, ExistingVpcConfig
from podnet.preflight.checks import (
    Result,
    check_ami_release,
    check_elastic_ips,
    check_existing_vpc,
    check_instance_types,
    check_zones,
)

#: DescribeAvailabilityZones in us-east-1 (moto 5.2's zone ids), plus a Local Zone and an impaired zone.
ZONES: list[dict[str, Any]] = [
    {"ZoneName": "us-east-1a", "ZoneId": "use1-az6", "ZoneType": "availability-zone", "State": "available"},
    {"ZoneName": "us-east-1b", "ZoneId": "use1-az1", "ZoneType": "availability-zone", "State": "available"},
    {"ZoneName": "us-east-1e", "ZoneId": "use1-az3", "ZoneType": "availability-zone", "State": "available"},
    {"ZoneName": "us-east-1f", "ZoneId": "use1-az5", "ZoneType": "availability-zone", "State": "impaired"},
    {"ZoneName": "us-east-1-bos-1a", "ZoneId": "use1-bos1-az1", "ZoneType": "local-zone", "State": "available"},
]


def _lines(results: Any) -> list[tuple[str, str]]:
    return [(r.status, r.message) for r in results]


def test_zones_refused_missing_local_or_unavailable_fail_with_the_usable_ones() -> None:
    results = check_zones(
        ["us-east-1a", "us-east-1e", "us-east-1z", "us-east-1-bos-1a", "us-east-1f"], "us-east-1", ZONES
    )
    assert _lines(results) == [
        ("pass", "availabilityZones: us-east-1a (use1-az6) is available to EKS"),
        (
            "fail",
            "availabilityZones: us-east-1e is use1-az3 in this account, a zone EKS does not accept for control-plane"
            " subnets; use one of us-east-1b",
        ),
        (
            "fail",
            "availabilityZones: us-east-1z is not an Availability Zone of us-east-1 in this account; use one of"
            " us-east-1b",
        ),
        (
            "fail",
            "availabilityZones: us-east-1-bos-1a is a local-zone, not an Availability Zone EKS can use; use one of"
            " us-east-1b",
        ),
        ("fail", "availabilityZones: us-east-1f is impaired; use one of us-east-1b"),
    ]


@pytest.mark.parametrize("zone_id", ["use1-az3", "usw1-az2", "cac1-az3"])
def test_every_zone_id_eks_refuses_fails_whatever_its_name(zone_id: str) -> None:
    zones = [{"ZoneName": "x-1a", "ZoneId": zone_id, "ZoneType": "availability-zone", "State": "available"}]
    (result,) = check_zones(["x-1a"], "x-1", zones)
    assert result.status == "fail"
    assert zone_id in result.message
    assert result.message.endswith("; remove it")


def test_instance_types_must_be_offered_in_every_node_zone() -> None:
    offerings = [
        {"InstanceType": t, "LocationType": "availability-zone", "Location": z}
        for t, z in [("m5.large", "us-east-1a"), ("m5.large", "us-east-1b"), ("m7a.large", "us-east-1a")]
    ]
    results = check_instance_types(["m5.large", "m7a.large"], ["us-east-1a", "us-east-1b"], offerings)
    assert _lines(results) == [
        ("pass", "nodes.instanceTypes: m5.large is offered in every node zone"),
        (
            "fail",
            "nodes.instanceTypes: m7a.large is not offered in us-east-1b; remove it from nodes.instanceTypes (or"
            " those zones from the configuration)",
        ),
    ]


ADDRESS = {"AllocationId": "eipalloc-1", "PublicIp": "198.51.100.1", "Domain": "vpc"}


def test_elastic_ips_against_the_quota() -> None:
    assert check_elastic_ips(3, 5.0, [ADDRESS, ADDRESS]).status == "pass"
    short = check_elastic_ips(3, 5.0, [ADDRESS] * 3)
    assert short.status == "fail"
    assert short.message == (
        "natGateways: 3 NAT gateways need 3 Elastic IPs but only 2 of the region's 5 are free (3 in use); release"
        " unused addresses or request a higher L-0263D0A3 quota (EC2-VPC Elastic IPs), or set natGateways to 2"
    )
    assert "set natGateways" not in check_elastic_ips(1, 5.0, [ADDRESS] * 5).message


def test_elastic_ips_skipped_with_a_note_when_the_quota_api_does_not_answer() -> None:
    skipped = check_elastic_ips(3, None, [ADDRESS], "AccessDeniedException")
    assert skipped.status == "skip"
    assert "AccessDeniedException" in skipped.message
    assert "3 Elastic IPs" in skipped.message
    assert check_elastic_ips(0, None, []).status == "pass"


VPC_ID = "vpc-0a"
EXISTING = ExistingVpcConfig(
    vpc_id=VPC_ID,
    cidr_blocks=(IPv4Network("10.0.0.0/16"),),
    node_subnets={
        "us-east-1a": ExistingSubnet(subnet_id="subnet-a", route_table_id="rtb-a"),
        "us-east-1b": ExistingSubnet(subnet_id="subnet-b", route_table_id="rtb-main"),
    },
)
VPCS = [
    {
        "VpcId": VPC_ID,
        "CidrBlock": "10.0.0.0/16",
        "CidrBlockAssociationSet": [
            {"AssociationId": "a1", "CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
            {"AssociationId": "a2", "CidrBlock": "100.96.0.0/16", "CidrBlockState": {"State": "disassociated"}},
        ],
    }
]
SUBNETS = [
    {"SubnetId": "subnet-a", "VpcId": VPC_ID, "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.0.0/20"},
    {"SubnetId": "subnet-b", "VpcId": VPC_ID, "AvailabilityZone": "us-east-1b", "CidrBlock": "10.0.16.0/20"},
]


def _tables(*extra_routes: dict[str, Any]) -> list[dict[str, Any]]:
    local = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}
    return [
        {
            "RouteTableId": "rtb-main",
            "VpcId": VPC_ID,
            "Associations": [{"Main": True, "RouteTableAssociationId": "rtbassoc-m"}],
            "Routes": [local],
        },
        {
            "RouteTableId": "rtb-a",
            "VpcId": VPC_ID,
            "Associations": [{"Main": False, "SubnetId": "subnet-a", "RouteTableId": "rtb-a"}],
            "Routes": [local, *extra_routes],
        },
    ]


def test_a_matching_existing_vpc_passes() -> None:
    results = check_existing_vpc(
        EXISTING, {"podCidr": IPv4Network("100.64.0.0/16")}, "us-east-1", VPCS, SUBNETS, _tables()
    )
    assert [r.status for r in results] == ["pass"] * 5, _lines(results)


@pytest.mark.parametrize(
    ("route", "blocks"),
    [
        ({"DestinationCidrBlock": "100.64.1.0/24", "TransitGatewayId": "tgw-1"}, True),
        ({"DestinationCidrBlock": "100.64.0.0/16", "VpcPeeringConnectionId": "pcx-1"}, True),
        ({"DestinationCidrBlock": "100.64.0.0/10", "TransitGatewayId": "tgw-1"}, False),
        ({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}, False),
        ({"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1"}, False),
    ],
)
def test_a_route_destination_inside_pod_cidr_blocks_the_association(route: dict[str, Any], blocks: bool) -> None:
    """Amazon VPC guide: a block equal to or containing a route destination cannot be associated."""
    results = check_existing_vpc(
        EXISTING, {"podCidr": IPv4Network("100.64.0.0/16")}, "us-east-1", VPCS, SUBNETS, _tables(route)
    )
    (routes,) = [r for r in results if "route destination" in r.message]
    assert (routes.status == "fail") is blocks, routes.message
    if blocks:
        assert routes.setting == "podCidr"
        assert f"{route['DestinationCidrBlock']} -> " in routes.message
        assert "rtb-a" in routes.message


def test_existing_vpc_problems_each_name_the_setting_and_the_fix() -> None:
    wrong = ExistingVpcConfig(
        vpc_id=VPC_ID,
        cidr_blocks=(IPv4Network("10.0.0.0/16"), IPv4Network("100.64.0.0/16")),
        node_subnets={
            "us-east-1a": ExistingSubnet(subnet_id="subnet-b", route_table_id="rtb-a"),
            "us-east-1b": ExistingSubnet(subnet_id="subnet-b", route_table_id="rtb-a"),
            "us-east-1c": ExistingSubnet(subnet_id="subnet-gone", route_table_id="rtb-a"),
        },
    )
    results = check_existing_vpc(wrong, {"podCidr": IPv4Network("10.0.0.0/16")}, "us-east-1", VPCS, SUBNETS, _tables())
    assert [r for r in _lines(results) if r[0] == "fail"] == [
        (
            "fail",
            "existingVpc.cidrBlocks: 10.0.0.0/16, 100.64.0.0/16 given but vpc-0a has 10.0.0.0/16; set"
            " existingVpc.cidrBlocks to exactly those",
        ),
        (
            "fail",
            "podCidr: 10.0.0.0/16 is already associated with vpc-0a, and podnet associates podCidr itself; choose a"
            " block the VPC does not have yet",
        ),
        (
            "fail",
            "existingVpc.nodeSubnets.us-east-1a: subnetId subnet-b is in us-east-1b, not us-east-1a; use a subnet in"
            " us-east-1a (or list it under its own zone)",
        ),
        (
            "fail",
            "existingVpc.nodeSubnets.us-east-1b: subnet-b uses route table rtb-main, not rtb-a; set routeTableId to"
            " rtb-main so the pod subnet routes like the node subnet",
        ),
        (
            "fail",
            "existingVpc.nodeSubnets.us-east-1c: subnetId subnet-gone does not exist; set the id of your node subnet"
            " in us-east-1c",
        ),
    ]


def test_overlap_with_an_associated_block_and_a_missing_vpc() -> None:
    results = check_existing_vpc(
        EXISTING, {"podCidr": IPv4Network("10.0.128.0/17")}, "us-east-1", VPCS, SUBNETS, _tables()
    )
    assert "overlaps 10.0.0.0/16" in next(r.message for r in results if r.setting == "podCidr" and r.status == "fail")
    (missing,) = check_existing_vpc(EXISTING, {"podCidr": IPv4Network("100.64.0.0/16")}, "us-east-1", [], [], [])
    assert missing.status == "fail"
    assert missing.message.startswith("existingVpc.vpcId: vpc-0a does not exist in us-east-1")


def test_every_additional_pod_block_is_checked_like_pod_cidr() -> None:
    """additionalPodCidrs are associated like podCidr: each must be free and contain no route destination."""
    blocks = {
        "podCidr": IPv4Network("100.64.0.0/16"),
        "additionalPodCidrs[0]": IPv4Network("10.0.0.0/16"),
        "additionalPodCidrs[1]": IPv4Network("100.66.0.0/16"),
    }
    route = {"DestinationCidrBlock": "100.66.4.0/24", "TransitGatewayId": "tgw-1"}
    results = check_existing_vpc(EXISTING, blocks, "us-east-1", VPCS, SUBNETS, _tables(route))
    failed = [(r.setting, r.message) for r in results if r.status == "fail"]
    assert failed == [
        (
            "additionalPodCidrs[0]",
            "additionalPodCidrs[0]: 10.0.0.0/16 is already associated with vpc-0a, and podnet associates"
            " additionalPodCidrs[0] itself; choose a block the VPC does not have yet",
        ),
        (
            "additionalPodCidrs[1]",
            "additionalPodCidrs[1]: 100.66.0.0/16 contains the route destination(s) 100.66.4.0/24 -> tgw-1 in rtb-a,"
            " and AWS cannot associate a block that equals or contains a route destination; choose for"
            " additionalPodCidrs[1] a block that contains none (a smaller or different one)",
        ),
    ]
    assert {r.setting for r in results if r.status == "pass"} >= {"podCidr"}


def _ami(release: str, recommended: str | None, *, exists: bool = True) -> Result:
    return check_ami_release(
        release=release,
        pinned_by_podnet=False,
        kubernetes_version="1.36",
        arch="arm64",
        region="eu-west-1",
        release_exists=exists,
        recommended_image_name=recommended,
        roll="6 nodes in 6 batches",
    )


def test_ami_release_against_the_recommended_one() -> None:
    name = "amazon-eks-node-al2023-arm64-standard-1.36-{}"
    assert _ami("v20260714", name.format("v20260714")).status == "pass"
    # A configured release newer than the recommendation (EKS publishes before it recommends): nothing to say.
    assert _ami("v20260930", name.format("v20260923")).message.endswith("is EKS's recommended release or newer")
    newer = _ami("v20260714", name.format("v20260923"))
    assert (newer.status, newer.setting) == ("pass", "nodes.amiReleaseVersion")
    assert "Setting nodes.amiReleaseVersion to v20260923 rolls every node on the next deploy: 6 nodes" in newer.message
    assert _ami("v20260714", None).status == "skip"
    assert _ami("v20260714", "some-custom-image").status == "skip"
    missing = _ami("v20260714", name.format("v20260923"), exists=False)
    assert (missing.status, missing.message.split(";")[0]) == (
        "fail",
        "nodes.amiReleaseVersion: the configured release v20260714 has no AL2023 arm64 AMI for Kubernetes 1.36 in"
        " eu-west-1",
    )
