"""The secondary CIDR blocks for pods and one pod subnet per AZ inside them."""

from collections.abc import Sequence
from ipaddress import IPv4Network

from aws_cdk import Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from podnet.nag import acknowledge


class PodSubnets(Construct):
    """Associates ``podCidr`` (and any additional pod blocks) with the VPC and creates the pod subnets the
    ENIConfigs point to.

    Each subnet DependsOn the association of its block (otherwise CloudFormation may create it first and fail with
    InvalidSubnet.Range) and uses its AZ's private route table, so pod traffic follows the node subnets'
    routes (also when AWS_VPC_K8S_CNI_EXTERNALSNAT=true sends it straight to the NAT gateway).
    Pod subnets carry no load-balancer role tags: load balancers belong in the node subnets.
    With prefix delegation, ``prefix_reservations`` (zone -> CIDRs, podnet.ipplan.prefixes) become subnet CIDR
    reservations of type ``prefix``, so ENI primary IPs cannot fragment the /28s pods need.

    It belongs in the cluster stack, with the ENIConfigs and nodes that use the subnets: no CloudFormation export
    pins a subnet id, and one stack update orders a change (new subnet, ENIConfig, rolling update of the nodes,
    then the old subnet's deletion in the cleanup phase).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        pod_cidrs: Sequence[IPv4Network],
        subnet_cidrs: dict[str, IPv4Network],
        node_subnets: dict[str, ec2.ISubnet],
        cluster_name: str,
        prefix_reservations: dict[str, list[IPv4Network]],
    ) -> None:
        super().__init__(scope, construct_id)
        first, *more = pod_cidrs
        #: Block -> its association with the VPC. podCidr keeps the id it always had; additional blocks are named
        #: after their CIDR, so removing one from the list never changes (and replaces) another.
        self.cidr_blocks = {first: ec2.CfnVPCCidrBlock(self, "PodCidr", vpc_id=vpc.vpc_id, cidr_block=str(first))}
        for block in more:
            block_id = f"PodCidr-{block.network_address}-{block.prefixlen}"
            self.cidr_blocks[block] = ec2.CfnVPCCidrBlock(self, block_id, vpc_id=vpc.vpc_id, cidr_block=str(block))
        #: AZ name -> pod subnet, in the order of ``subnet_cidrs``.
        self.subnets: dict[str, ec2.CfnSubnet] = {}
        for zone, cidr in subnet_cidrs.items():
            subnet = ec2.CfnSubnet(
                self, f"PodSubnet-{zone}", vpc_id=vpc.vpc_id, availability_zone=zone, cidr_block=str(cidr)
            )
            (block,) = [block for block in pod_cidrs if cidr.subnet_of(block)]
            subnet.add_resource_dependency(self.cidr_blocks[block])
            Tags.of(subnet).add("Name", f"{cluster_name}-pods-{zone}")
            Tags.of(subnet).add(f"kubernetes.io/cluster/{cluster_name}", "shared")
            ec2.CfnSubnetRouteTableAssociation(
                self,
                f"PodRoutes-{zone}",
                subnet_id=subnet.attr_subnet_id,
                route_table_id=node_subnets[zone].route_table.route_table_id,
            )
            self.subnets[zone] = subnet
            for reserved in prefix_reservations.get(zone, []):
                ec2.CfnSubnetCidrReservation(
                    self,
                    f"PrefixReservation-{zone}-{reserved.network_address}-{reserved.prefixlen}",
                    subnet_id=subnet.attr_subnet_id,
                    cidr=str(reserved),
                    reservation_type="prefix",
                    description=f"{cluster_name}: /28 prefixes for pods (prefix delegation), never ENI primary IPs",
                )
        acknowledge(
            self,
            "availabilityZones are explicit settings so synth needs no AWS lookup; validation checks them against"
            " the region",
            "CloudFormation-Validate::W3010",
        )
