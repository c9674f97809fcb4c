"""IPs the VPC CNI's warm pool keeps on each node beyond its pods: addresses no pod on another node can get.

From the VPC CNI docs (v1.22.4 ``docs/eni-and-ip-target.md``, ``docs/prefix-and-ip-target.md``) and ipamd:
- one IP per pod: WARM_IP_TARGET spare IPs if set; else (MINIMUM_IP_TARGET alone is a floor, under the pods of a
  busy node) with neither set, WARM_ENI_TARGET=1 keeps a whole ENI of IPs spare;
- prefix delegation: WARM_PREFIX_TARGET spare /28s, or WARM_IP_TARGET rounded up to whole /28s, plus up to 15
  addresses of a partly used /28 (the docs' tables show them as unused IPs).
The count is the worst case per node: when a pod subnet runs low, every node may still hold that many.
"""

import math

from podnet.ipplan.prefixes import PREFIX_SIZE


def warm_pool_ips(
    *,
    ips_per_eni: int,
    prefix_delegation: bool,
    warm_ip_target: int | None,
    minimum_ip_target: int | None,
    warm_prefix_target: int,
) -> int:
    """Spare addresses one node may hold. ``ips_per_eni`` includes the ENI's primary address."""
    if prefix_delegation:
        if warm_ip_target is not None:
            return math.ceil(warm_ip_target / PREFIX_SIZE) * PREFIX_SIZE + PREFIX_SIZE - 1
        if minimum_ip_target is not None:
            return PREFIX_SIZE - 1
        return warm_prefix_target * PREFIX_SIZE + PREFIX_SIZE - 1
    if warm_ip_target is not None:
        return warm_ip_target
    if minimum_ip_target is not None:
        return 0
    return ips_per_eni - 1


def zone_pod_capacity(*, pod_ips: int, nodes: int, max_pods: int, warm_ips: int) -> int:
    """Pods a zone's ``nodes`` can surely run: their max pods, or the zone's pod IPs less every node's warm pool."""
    return max(0, min(nodes * max_pods, pod_ips - nodes * warm_ips))
