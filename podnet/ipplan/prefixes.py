"""Pod IPs of a subnet under prefix delegation: whole aligned /28 prefixes only, and the range reserved for them.

With prefix delegation the VPC CNI assigns /28 prefixes, aligned to 16 addresses. AWS keeps the first four
addresses and the last one of every subnet, so the first and the last aligned /28 can never be a prefix: a /24
holds 16 prefixes of which 14 are usable (224 pod IPs), in general ``(2^(28 - len) - 2) * 16``.

Secondary IPs scattered through a subnet (ENI primary addresses) leave no free aligned /28, and the CNI fails with
``InsufficientCidrBlocks``. A subnet CIDR reservation of type ``prefix`` keeps a range for prefixes; AWS assigns
no automatic address (an ENI's primary IP) from a reserved range (Amazon VPC guide, "Subnet CIDR reservations").
Every pod ENI needs a primary IP outside the reservation: the two edge /28s hold 27 such addresses
(``EDGE_FREE_IPS``), so a zone's pod subnet serves at most 27 pod ENIs (validation warns beyond).
"""

from ipaddress import IPv4Address, IPv4Network, summarize_address_range

from podnet.ipplan.carving import usable_ips

#: Addresses per /28 prefix.
PREFIX_SIZE = 16
PREFIX_LENGTH = 28
#: Addresses of the first and the last aligned /28 that an ENI can take: 16 - 4 reserved, 16 - 1 reserved.
EDGE_FREE_IPS = (PREFIX_SIZE - 4) + (PREFIX_SIZE - 1)


def aligned_prefixes(subnet: IPv4Network) -> int:
    """Aligned /28 prefixes of ``subnet`` that avoid AWS's reserved addresses."""
    if subnet.prefixlen > PREFIX_LENGTH:
        return 0
    return max(0, (1 << (PREFIX_LENGTH - subnet.prefixlen)) - 2)


def prefix_reservation(subnet: IPv4Network) -> list[IPv4Network]:
    """The CIDRs to reserve for prefixes (one reservation each): every aligned /28 but the first and the last, as
    few CIDRs as cover them. Empty when no prefix fits. Depends on the subnet alone, so it never changes (and no
    replacement overlaps an existing reservation) while the subnet stays."""
    count = aligned_prefixes(subnet)
    if count == 0:
        return []
    first = IPv4Address(int(subnet.network_address) + PREFIX_SIZE)
    last = IPv4Address(int(first) + count * PREFIX_SIZE - 1)
    return list(summarize_address_range(first, last))


def pod_ips(subnet: IPv4Network, *, prefix_delegation: bool) -> int:
    """Addresses pods can get in ``subnet``: its usable addresses with one IP per pod (size - 5, every pod ENI's
    primary included, as the metrics count them); with prefix delegation, those of its whole aligned /28s."""
    if prefix_delegation:
        return aligned_prefixes(subnet) * PREFIX_SIZE
    return usable_ips(subnet)
