"""A VPC podnet does not own, imported from literal ids: synth stays offline and creates nothing in it."""

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from podnet.config.model import ExistingVpcConfig


class ExistingVpc(Construct):
    """``existingVpc`` as an IVpc whose private subnets are the node subnets, each with its route table.

    ``Vpc.from_vpc_attributes`` with literal values, never ``from_lookup`` (which needs credentials, and in a bare
    synth silently returns a dummy VPC). The route table ids let the pod subnets join their zone's table; the
    primary block makes ``vpc_cidr_block`` readable. Imported subnets cannot be tagged: their owners add the
    Kubernetes tags (docs/existing-vpc.md).
    """

    def __init__(self, scope: Construct, construct_id: str, *, existing: ExistingVpcConfig) -> None:
        super().__init__(scope, construct_id)
        zones = list(existing.node_subnets)
        self.vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id=existing.vpc_id,
            availability_zones=zones,
            vpc_cidr_block=str(existing.cidr_blocks[0]),
            private_subnet_ids=[existing.node_subnets[zone].subnet_id for zone in zones],
            private_subnet_route_table_ids=[existing.node_subnets[zone].route_table_id for zone in zones],
        )
        #: AZ name -> node subnet (imported: from_vpc_attributes gives the i-th subnet the i-th zone).
        self.node_subnets: dict[str, ec2.ISubnet] = {s.availability_zone: s for s in self.vpc.private_subnets}
