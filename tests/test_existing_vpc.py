"""existingVpc: podnet adds only podCidr and the pod subnets to a VPC it does not own, from literal ids.

There is no network stack then: the pod network lives in the cluster stack (as with a VPC podnet builds), so a
network stack would hold nothing, and CloudFormation (and the CDK's template validation, rule F0001) refuses a
template without resources.
"""

from collections import Counter
from typing import Any

from tests.support.node_groups import SPOT
from tests.support.synth import Synthesized

POD_NETWORK_TYPES = Counter(
    {"AWS::EC2::VPCCidrBlock": 1, "AWS::EC2::Subnet": 3, "AWS::EC2::SubnetRouteTableAssociation": 3}
)
#: What a VPC podnet builds has (its network stack's types): none of it goes into a VPC podnet does not own.
VPC_TYPES = (
    "AWS::EC2::VPC",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::FlowLog",
    "Custom::VpcRestrictDefaultSG",
)


def _existing(app: Synthesized) -> Any:
    existing = app.config.existing_vpc
    assert existing is not None, "examples/existing-vpc.json must use existingVpc"
    return existing


def test_there_is_no_network_stack(existing_vpc_app: Synthesized, default_app: Synthesized) -> None:
    assert existing_vpc_app.network is None
    assert default_app.network is not None


def test_podnet_adds_only_the_association_and_pod_subnets_to_the_vpc(
    existing_vpc_app: Synthesized, default_app: Synthesized
) -> None:
    """No VPC, gateways, NAT, route tables, flow logs or default-security-group handler: only what the issue lists,
    and the cleanup that lets `destroy` delete the pod subnets, in a cluster stack otherwise like the one of a VPC
    podnet builds."""
    types = Counter(resource["Type"] for resource in existing_vpc_app.cluster["Resources"].values())
    assert {kind: types[kind] for kind in POD_NETWORK_TYPES} == POD_NETWORK_TYPES
    assert types["Custom::PodnetTeardownCleanup"] == 1
    assert [kind for kind in VPC_TYPES if types[kind]] == []
    network = {resource["Type"] for resource in default_app.template("network")["Resources"].values()}
    assert set(VPC_TYPES) <= network, "VPC_TYPES must name what a VPC podnet builds has"
    # The example differs from the defaults in mode API (no aws-auth manifest) and one admin's access entry.
    built = Counter(resource["Type"] for resource in default_app.cluster["Resources"].values())
    assert types == built - Counter({"Custom::AWSCDK-EKS-KubernetesResource": 1}) + Counter(
        {"AWS::EKS::AccessEntry": 1}
    )


def test_the_new_block_is_associated_with_the_existing_vpc_by_literal_id(existing_vpc_app: Synthesized) -> None:
    existing = _existing(existing_vpc_app)
    (association,) = existing_vpc_app.resources("cluster", "AWS::EC2::VPCCidrBlock").values()
    assert association["Properties"] == {"VpcId": existing.vpc_id, "CidrBlock": "100.64.0.0/16"}


def test_each_pod_subnet_follows_the_association_and_joins_its_zones_route_table(
    existing_vpc_app: Synthesized,
) -> None:
    existing = _existing(existing_vpc_app)
    (association_id,) = existing_vpc_app.resources("cluster", "AWS::EC2::VPCCidrBlock")
    subnets = existing_vpc_app.resources("cluster", "AWS::EC2::Subnet")
    route_tables = {
        a["Properties"]["SubnetId"]["Fn::GetAtt"][0]: a["Properties"]["RouteTableId"]
        for a in existing_vpc_app.resources("cluster", "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    by_zone = {}
    for logical_id, subnet in subnets.items():
        properties = subnet["Properties"]
        zone = properties["AvailabilityZone"]
        assert properties["VpcId"] == existing.vpc_id
        assert subnet["DependsOn"] == [association_id]
        assert route_tables[logical_id] == existing.node_subnets[zone].route_table_id
        by_zone[zone] = properties["CidrBlock"]
    assert by_zone == {zone: str(cidr) for zone, cidr in existing_vpc_app.config.pod_subnet_cidrs.items()}


def test_cluster_and_nodes_use_the_given_node_subnets(existing_vpc_app: Synthesized) -> None:
    """Literal subnet ids everywhere: a lookup would have produced the CDK's dummy subnets (p-12345) instead."""
    node_subnet_ids = [subnet.subnet_id for subnet in _existing(existing_vpc_app).node_subnets.values()]
    (cluster,) = existing_vpc_app.resources("cluster", "AWS::EKS::Cluster").values()
    assert cluster["Properties"]["ResourcesVpcConfig"]["SubnetIds"] == node_subnet_ids
    groups = [
        group
        for lid, group in existing_vpc_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup").items()
        if lid.startswith(SPOT)
    ]
    # One spot group per zone, each in its zone's node subnet.
    assert sorted(subnet for group in groups for subnet in group["Properties"]["VPCZoneIdentifier"]) == sorted(
        node_subnet_ids
    )
    in_vpc = [
        function["Properties"]["VpcConfig"]
        for function in existing_vpc_app.resources("cluster", "AWS::Lambda::Function").values()
        if "VpcConfig" in function["Properties"]
    ]
    assert in_vpc, "the private endpoint needs the kubectl provider inside the VPC"
    assert all(config["SubnetIds"] == node_subnet_ids for config in in_vpc)


def test_cluster_security_group_is_in_the_existing_vpc(existing_vpc_app: Synthesized) -> None:
    groups = existing_vpc_app.resources("cluster", "AWS::EC2::SecurityGroup").values()
    assert groups
    assert {group["Properties"]["VpcId"] for group in groups} == {_existing(existing_vpc_app).vpc_id}
