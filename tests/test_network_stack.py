"""NetworkStack: the secondary CIDR, pod subnets inside it, created after it, routed like the node subnets."""

from ipaddress import IPv4Network
from typing import Any

from tests.support.synth import Synthesized


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}


def _pod_subnets(app: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """AZ -> (logical id, subnet) for the subnets inside podCidr."""
    return {
        subnet["Properties"]["AvailabilityZone"]: (lid, subnet)
        for lid, subnet in app.resources("network", "AWS::EC2::Subnet").items()
        if IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(app.config.pod_cidr)
    }


def test_secondary_cidr_is_associated(default_app: Synthesized) -> None:
    (association,) = default_app.resources("network", "AWS::EC2::VPCCidrBlock").values()
    assert association["Properties"]["CidrBlock"] == "100.64.0.0/16"
    (vpc_id,) = default_app.resources("network", "AWS::EC2::VPC")
    assert association["Properties"]["VpcId"] == {"Ref": vpc_id}


def test_one_pod_subnet_per_az_carved_from_pod_cidr(default_app: Synthesized) -> None:
    subnets = _pod_subnets(default_app)
    assert {zone: s["Properties"]["CidrBlock"] for zone, (_, s) in subnets.items()} == {
        "us-east-1a": "100.64.0.0/18",
        "us-east-1b": "100.64.64.0/18",
        "us-east-1c": "100.64.128.0/18",
    }


def test_every_pod_subnet_depends_on_the_cidr_association(default_app: Synthesized, origin_app: Synthesized) -> None:
    for app in (default_app, origin_app):
        (association_id,) = app.resources("network", "AWS::EC2::VPCCidrBlock")
        subnets = _pod_subnets(app)
        assert subnets
        for _, subnet in subnets.values():
            assert association_id in subnet.get("DependsOn", [])


def test_pod_subnets_use_their_zones_private_route_table(default_app: Synthesized) -> None:
    resources = default_app.network["Resources"]
    associations = default_app.resources("network", "AWS::EC2::SubnetRouteTableAssociation")
    route_table_of = {
        a["Properties"]["SubnetId"].get("Ref") or a["Properties"]["SubnetId"]["Fn::GetAtt"][0]: a
        for a in associations.values()
    }
    for zone, (lid, _) in _pod_subnets(default_app).items():
        route_table = route_table_of[lid]["Properties"]["RouteTableId"]["Ref"]
        node_subnets = [
            sid
            for sid, a in route_table_of.items()
            if a["Properties"]["RouteTableId"] == {"Ref": route_table} and sid != lid
        ]
        assert len(node_subnets) == 1, zone
        node_subnet = resources[node_subnets[0]]
        assert node_subnet["Properties"]["AvailabilityZone"] == zone
        assert _tags(node_subnet)["aws-cdk:subnet-type"] == "Private"


def test_subnet_tags(default_app: Synthesized) -> None:
    pod_ids = {lid for lid, _ in _pod_subnets(default_app).values()}
    for lid, subnet in default_app.resources("network", "AWS::EC2::Subnet").items():
        tags = _tags(subnet)
        if lid in pod_ids:
            assert tags["kubernetes.io/cluster/podnet"] == "shared"
            assert "kubernetes.io/role/elb" not in tags and "kubernetes.io/role/internal-elb" not in tags
        elif tags["aws-cdk:subnet-type"] == "Private":
            assert tags["kubernetes.io/role/internal-elb"] == "1"
        else:
            assert tags["kubernetes.io/role/elb"] == "1"


def test_node_subnets_follow_the_plan(default_app: Synthesized) -> None:
    node_cidrs = {
        s["Properties"]["AvailabilityZone"]: s["Properties"]["CidrBlock"]
        for s in default_app.resources("network", "AWS::EC2::Subnet").values()
        if _tags(s).get("aws-cdk:subnet-type") == "Private"
    }
    assert node_cidrs == {"us-east-1a": "10.0.64.0/18", "us-east-1b": "10.0.128.0/18", "us-east-1c": "10.0.192.0/18"}


def test_flow_logs_and_one_nat_gateway_per_az(default_app: Synthesized) -> None:
    (flow_log,) = default_app.resources("network", "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert len(default_app.resources("network", "AWS::EC2::NatGateway")) == 3


def test_origin_network(origin_app: Synthesized) -> None:
    (association,) = origin_app.resources("network", "AWS::EC2::VPCCidrBlock").values()
    assert association["Properties"]["CidrBlock"] == "172.2.0.0/16"
    subnets = _pod_subnets(origin_app)
    assert {zone: s["Properties"]["CidrBlock"] for zone, (_, s) in subnets.items()} == {"us-east-1a": "172.2.3.0/24"}
