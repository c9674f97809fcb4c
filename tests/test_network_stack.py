"""NetworkStack: public and node subnets carved from vpcCidr, NAT, flow logs, and the exports the cluster uses."""

from typing import Any

from tests.support.synth import Synthesized


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}


def test_subnet_tags(default_app: Synthesized) -> None:
    for subnet in default_app.resources("network", "AWS::EC2::Subnet").values():
        tags = _tags(subnet)
        if tags["aws-cdk:subnet-type"] == "Private":
            assert tags["kubernetes.io/role/internal-elb"] == "1"
        else:
            assert tags["kubernetes.io/role/elb"] == "1"


def test_every_node_route_table_is_exported(default_app: Synthesized, origin_app: Synthesized) -> None:
    """Whether or not its zone has a pod subnet, so giving a zone one or taking it away changes no export."""
    for app in (default_app, origin_app):
        network = app.template("network")
        route_tables = set(app.resources("network", "AWS::EC2::RouteTable"))
        private = {
            a["Properties"]["RouteTableId"]["Ref"]
            for a in app.resources("network", "AWS::EC2::SubnetRouteTableAssociation").values()
            if _tags(network["Resources"][a["Properties"]["SubnetId"]["Ref"]])["aws-cdk:subnet-type"] == "Private"
        }
        assert private and private <= route_tables
        exported = {o["Value"].get("Ref") for o in network["Outputs"].values() if "Export" in o}
        assert private <= exported


def test_node_subnets_follow_the_plan(default_app: Synthesized) -> None:
    node_cidrs = {
        s["Properties"]["AvailabilityZone"]: s["Properties"]["CidrBlock"]
        for s in default_app.resources("network", "AWS::EC2::Subnet").values()
        if _tags(s).get("aws-cdk:subnet-type") == "Private"
    }
    assert node_cidrs == {"us-east-1a": "10.0.4.0/22", "us-east-1b": "10.0.8.0/22", "us-east-1c": "10.0.12.0/22"}


def test_flow_logs_and_one_nat_gateway_per_az(default_app: Synthesized) -> None:
    (flow_log,) = default_app.resources("network", "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert len(default_app.resources("network", "AWS::EC2::NatGateway")) == 3
