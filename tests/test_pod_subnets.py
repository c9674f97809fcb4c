"""PodSubnets, in the cluster stack: the secondary CIDR, pod subnets inside it, created after it, routed like the
node subnets of their zone."""

from ipaddress import IPv4Network
from typing import Any

from tests.support.synth import Synthesized


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}


def _pod_subnets(app: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """AZ -> (logical id, subnet) for the cluster stack's subnets."""
    return {
        subnet["Properties"]["AvailabilityZone"]: (lid, subnet)
        for lid, subnet in app.resources("cluster", "AWS::EC2::Subnet").items()
    }


def _exported(app: Synthesized, import_value: dict[str, Any]) -> dict[str, Any]:
    """The network stack's value behind a ``Fn::ImportValue`` of one of its exports."""
    (value,) = [
        output["Value"]
        for output in app.template("network")["Outputs"].values()
        if output.get("Export", {}).get("Name") == import_value["Fn::ImportValue"]
    ]
    return dict(value)


def test_secondary_cidr_is_associated(default_app: Synthesized) -> None:
    (association,) = default_app.resources("cluster", "AWS::EC2::VPCCidrBlock").values()
    assert association["Properties"]["CidrBlock"] == "100.64.0.0/16"
    (vpc_id,) = default_app.resources("network", "AWS::EC2::VPC")
    assert _exported(default_app, association["Properties"]["VpcId"]) == {"Ref": vpc_id}


def test_one_pod_subnet_per_az_carved_from_pod_cidr(default_app: Synthesized) -> None:
    subnets = _pod_subnets(default_app)
    assert {zone: s["Properties"]["CidrBlock"] for zone, (_, s) in subnets.items()} == {
        "us-east-1a": "100.64.0.0/18",
        "us-east-1b": "100.64.64.0/18",
        "us-east-1c": "100.64.128.0/18",
    }
    (vpc_id,) = default_app.resources("network", "AWS::EC2::VPC")
    for _, subnet in subnets.values():
        assert _exported(default_app, subnet["Properties"]["VpcId"]) == {"Ref": vpc_id}


def test_every_pod_subnet_depends_on_the_cidr_association(default_app: Synthesized, origin_app: Synthesized) -> None:
    for app in (default_app, origin_app):
        (association_id,) = app.resources("cluster", "AWS::EC2::VPCCidrBlock")
        subnets = _pod_subnets(app)
        assert subnets
        for _, subnet in subnets.values():
            assert association_id in subnet.get("DependsOn", [])
            assert IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(app.config.pod_cidr)


def test_pod_subnets_use_their_zones_private_route_table(default_app: Synthesized) -> None:
    network = default_app.template("network")["Resources"]
    node_route_tables = {
        network[a["Properties"]["SubnetId"]["Ref"]]["Properties"]["AvailabilityZone"]: a["Properties"]["RouteTableId"]
        for a in default_app.resources("network", "AWS::EC2::SubnetRouteTableAssociation").values()
        if _tags(network[a["Properties"]["SubnetId"]["Ref"]])["aws-cdk:subnet-type"] == "Private"
    }
    pod_routes = {
        a["Properties"]["SubnetId"]["Fn::GetAtt"][0]: a["Properties"]["RouteTableId"]
        for a in default_app.resources("cluster", "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    subnets = _pod_subnets(default_app)
    assert len(pod_routes) == len(subnets) == 3
    for zone, (lid, _) in subnets.items():
        assert _exported(default_app, pod_routes[lid]) == node_route_tables[zone], zone


def test_pod_subnet_tags(default_app: Synthesized) -> None:
    for _, subnet in _pod_subnets(default_app).values():
        tags = _tags(subnet)
        assert tags["kubernetes.io/cluster/podnet"] == "shared"
        assert "kubernetes.io/role/elb" not in tags and "kubernetes.io/role/internal-elb" not in tags


def test_origin_pod_network(origin_app: Synthesized) -> None:
    (association,) = origin_app.resources("cluster", "AWS::EC2::VPCCidrBlock").values()
    assert association["Properties"]["CidrBlock"] == "172.2.0.0/16"
    subnets = _pod_subnets(origin_app)
    assert {zone: s["Properties"]["CidrBlock"] for zone, (_, s) in subnets.items()} == {"us-east-1a": "172.2.3.0/24"}


def test_prefix_delegation_reserves_each_pod_subnet_for_prefixes(prefix_delegation_app: Synthesized) -> None:
    """Every aligned /28 but the edge ones is reserved for prefixes (type prefix), so ENI primary IPs, which AWS never
    takes from a reservation, cannot fragment them; the reserved addresses are the pod IPs the plan counts."""
    subnets = {lid: subnet for lid, subnet in _pod_subnets(prefix_delegation_app).values()}
    reserved: dict[str, list[IPv4Network]] = {lid: [] for lid in subnets}
    for reservation in prefix_delegation_app.resources("cluster", "AWS::EC2::SubnetCidrReservation").values():
        properties = reservation["Properties"]
        assert properties["ReservationType"] == "prefix"
        reserved[properties["SubnetId"]["Fn::GetAtt"][0]].append(IPv4Network(properties["Cidr"]))
    for lid, subnet in subnets.items():
        cidr = IPv4Network(subnet["Properties"]["CidrBlock"])
        blocks = sorted(reserved[lid])
        assert all(block.subnet_of(cidr) for block in blocks)
        assert sum(block.num_addresses for block in blocks) == 16_352
        assert int(blocks[0].network_address) == int(cidr.network_address) + 16
        assert int(blocks[-1].broadcast_address) == int(cidr.broadcast_address) - 16


def test_no_reservation_without_prefix_delegation(default_app: Synthesized) -> None:
    assert default_app.resources("cluster", "AWS::EC2::SubnetCidrReservation") == {}
