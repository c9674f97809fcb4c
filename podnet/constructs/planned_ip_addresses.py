"""Give ec2.Vpc the subnet CIDRs podnet planned, instead of letting it allocate its own."""

from collections.abc import Sequence
from ipaddress import IPv4Network
from typing import Any

import jsii
from aws_cdk import aws_ec2 as ec2

from podnet.ipplan.carving import NodeSubnetPlan


@jsii.implements(ec2.IIpAddresses)
class PlannedIpAddresses:
    """An ``ec2.IIpAddresses`` that hands out the carving of podnet.ipplan (same plan as ``podnet plan``).

    ec2.Vpc's own allocator picks CIDRs by mask and order; reusing the plan keeps the CLI, the tests and
    the template in agreement by construction.
    """

    def __init__(self, vpc_cidr: IPv4Network, plan: dict[str, NodeSubnetPlan]) -> None:
        self._vpc_cidr = vpc_cidr
        self._plan = plan

    def allocate_vpc_cidr(self) -> ec2.VpcIpamOptions:
        return ec2.VpcIpamOptions(cidr_block=str(self._vpc_cidr))

    def allocate_subnets_cidr(
        self, *, requested_subnets: Sequence[ec2.RequestedSubnet | dict[str, Any]], vpc_cidr: str
    ) -> ec2.SubnetIpamOptions:
        return ec2.SubnetIpamOptions(
            allocated_subnets=[ec2.AllocatedSubnet(cidr=str(self._cidr_for(subnet))) for subnet in requested_subnets]
        )

    def _cidr_for(self, subnet: ec2.RequestedSubnet | dict[str, Any]) -> IPv4Network:
        if isinstance(subnet, dict):
            subnet = ec2.RequestedSubnet(**subnet)
        zone = self._plan[subnet.availability_zone]
        return zone.public if subnet.configuration.subnet_type == ec2.SubnetType.PUBLIC else zone.private
