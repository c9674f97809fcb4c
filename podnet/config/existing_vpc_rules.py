"""Rules for ``existingVpc``: ids as AWS writes them, nothing podnet would only build in a VPC of its own, zones
that have node subnets. The podCidr checks against the VPC's blocks are the common ones in validation.py.
"""

import re

from podnet.config.errors import ConfigError
from podnet.config.model import PodnetConfig

#: AWS resource ids: the type's prefix, then 8 (older resources) or 17 lowercase hexadecimal digits.
VPC_ID = re.compile(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})")
SUBNET_ID = re.compile(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})")
ROUTE_TABLE_ID = re.compile(r"rtb-([0-9a-f]{8}|[0-9a-f]{17})")
#: IPv4 CIDR blocks per VPC, primary included: the default quota (adjustable up to 50 in Service Quotas).
DEFAULT_BLOCKS_PER_VPC = 5


def check_existing_vpc(config: PodnetConfig) -> None:
    """Raise ConfigError when ``existingVpc`` is malformed or clashes with settings only a new VPC uses."""
    existing = config.existing_vpc
    if existing is None:
        return
    if "vpc_cidr" in config.model_fields_set:
        raise ConfigError(
            "vpcCidr is set together with existingVpc, whose blocks are existingVpc.cidrBlocks; remove vpcCidr"
        )
    if config.nat_gateways is not None:
        raise ConfigError(
            "natGateways is set together with existingVpc, but podnet creates no NAT gateways in a VPC it does not"
            " own (nodes use the node subnets' routes); remove natGateways"
        )
    if not VPC_ID.fullmatch(existing.vpc_id):
        raise ConfigError(
            f"existingVpc.vpcId {existing.vpc_id!r} is not a VPC id; use vpc- and 8 or 17 hex digits, as"
            " `aws ec2 describe-vpcs` shows it"
        )
    zones = list(existing.node_subnets)
    if len(zones) < 2:
        raise ConfigError(
            f"existingVpc.nodeSubnets lists {len(zones)} zone(s); EKS needs subnets in at least two, so add a"
            " private subnet of another zone"
        )
    seen: dict[str, str] = {}
    for zone, subnet in existing.node_subnets.items():
        setting = f"existingVpc.nodeSubnets.{zone}"
        if not re.fullmatch(re.escape(config.region) + "[a-z]", zone):
            raise ConfigError(
                f"existingVpc.nodeSubnets: {zone!r} is not a zone of region {config.region}; key each subnet by its"
                f" zone name, e.g. {config.region}a"
            )
        if not SUBNET_ID.fullmatch(subnet.subnet_id):
            raise ConfigError(
                f"{setting}.subnetId {subnet.subnet_id!r} is not a subnet id; use subnet- and 8 or 17 hex digits"
            )
        if not ROUTE_TABLE_ID.fullmatch(subnet.route_table_id):
            raise ConfigError(
                f"{setting}.routeTableId {subnet.route_table_id!r} is not a route table id; use rtb- and 8 or 17 hex"
                " digits (the table the subnet is associated with)"
            )
        if subnet.subnet_id in seen:
            raise ConfigError(
                f"{setting}.subnetId {subnet.subnet_id} is also the subnet of {seen[subnet.subnet_id]}, but a subnet"
                " lies in one zone; give each zone its own subnet"
            )
        seen[subnet.subnet_id] = zone
    if sorted(config.availability_zones) != sorted(zones):
        raise ConfigError(
            f"availabilityZones ({', '.join(config.availability_zones)}) differ from the zones of"
            f" existingVpc.nodeSubnets ({', '.join(zones)}); remove availabilityZones (it defaults to those zones)"
            " or list exactly them"
        )
    for zone in config.pod_subnets or {}:
        if zone not in existing.node_subnets:
            raise ConfigError(
                f"podSubnets.{zone}: {zone} has no node subnet in existingVpc.nodeSubnets ({', '.join(zones)});"
                " add that zone's node subnet there or remove this pod subnet"
            )


def existing_vpc_warnings(config: PodnetConfig) -> list[str]:
    """What deploys only after a quota increase: the blocks podnet adds beyond the default per-VPC quota."""
    existing = config.existing_vpc
    if existing is None:
        return []
    blocks = len(existing.cidr_blocks) + len(config.pod_cidrs)
    if blocks <= DEFAULT_BLOCKS_PER_VPC:
        return []
    added = "podCidr and additionalPodCidrs" if config.additional_pod_cidrs else "podCidr"
    return [
        f"existingVpc.cidrBlocks: with {added}, {existing.vpc_id} has {blocks} IPv4 blocks, more than the default"
        f" quota of {DEFAULT_BLOCKS_PER_VPC} per VPC; request an increase of 'IPv4 CIDR blocks per VPC' in Service"
        " Quotas (adjustable up to 50) before deploying"
    ]
