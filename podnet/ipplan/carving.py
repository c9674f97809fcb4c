"""Carve the VPC and pod CIDRs into per-AZ subnets: equal power-of-two blocks, largest that fit."""

import math
from dataclasses import dataclass
from ipaddress import IPv4Network

#: Amazon VPC keeps the first four addresses and the last one of every subnet.
RESERVED_IPS_PER_SUBNET = 5


@dataclass(frozen=True)
class NodeSubnetPlan:
    """Public (NAT, load balancers) and private node subnets of one AZ, both in the primary CIDR."""

    public: IPv4Network
    private: IPv4Network


def equal_blocks(cidr: IPv4Network, count: int) -> list[IPv4Network]:
    """The first ``count`` of the largest equal blocks that split ``cidr`` into at least ``count`` parts."""
    extra_bits = math.ceil(math.log2(count)) if count > 1 else 0
    if cidr.prefixlen + extra_bits > 28:
        raise ValueError(f"{cidr} is too small for {count} subnets of at least /28")
    return list(cidr.subnets(prefixlen_diff=extra_bits))[:count]


def usable_ips(subnet: IPv4Network) -> int:
    """Addresses of a subnet that instances and pods can get."""
    return subnet.num_addresses - RESERVED_IPS_PER_SUBNET


def carve_pod_subnets(
    pod_cidr: IPv4Network, zones: tuple[str, ...], explicit: dict[str, IPv4Network] | None = None
) -> dict[str, IPv4Network]:
    """AZ -> pod subnet: ``explicit`` subnets as given, else ``pod_cidr`` split equally across ``zones``."""
    if explicit is not None:
        return dict(explicit)
    return dict(zip(zones, equal_blocks(pod_cidr, len(zones)), strict=True))


def carve_node_subnets(vpc_cidr: IPv4Network, zones: tuple[str, ...]) -> dict[str, NodeSubnetPlan]:
    """AZ -> node subnets. vpcCidr is split into equal blocks, one more than there are AZs: the first
    block is shared by the small public subnets, each other block is one AZ's private node subnet."""
    blocks = equal_blocks(vpc_cidr, len(zones) + 1)
    public = equal_blocks(blocks[0], len(zones))
    return {zone: NodeSubnetPlan(public=public[index], private=blocks[index + 1]) for index, zone in enumerate(zones)}
