"""Checks of the pod network's own settings (prefix reservations, CNI add-on, warm pools, pod networking mode), kept
apart from the general validation so each can be read on its own."""

import re

from podnet.config.errors import ConfigError
from podnet.config.model import PodnetConfig
from podnet.ipplan.prefixes import EDGE_FREE_IPS

#: An EKS add-on version: the upstream release and the EKS build.
ADDON_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)-eksbuild\.\d+")
#: The oldest VPC CNI podnet accepts: v1.22.2 and v1.22.3 gave the node's primary IP to a pod
#: (aws/amazon-vpc-cni-k8s#3753, fixed in v1.22.4), and older releases lack the subnet discovery podnet uses.
OLDEST_VPC_CNI = (1, 22, 4)


def check_pod_network(config: PodnetConfig) -> None:
    """Errors in the pod network's own settings (raised as ConfigError, one line each)."""
    _check_cni_version(config)


def _check_cni_version(config: PodnetConfig) -> None:
    version = config.cni.version
    if version is None:
        return
    match = ADDON_VERSION.fullmatch(version)
    if match is None:
        raise ConfigError(
            f"cni.version {version!r} is not an EKS add-on version; use the form v1.22.4-eksbuild.3 (aws eks"
            " describe-addon-versions --addon-name vpc-cni lists them) or leave it out for podnet's pin"
        )
    if tuple(int(part) for part in match.groups()) < OLDEST_VPC_CNI:
        raise ConfigError(
            f"cni.version {version} is older than v1.22.4: v1.22.2 and v1.22.3 give the node's primary IP to a pod"
            " (aws/amazon-vpc-cni-k8s#3753) and older releases lack the subnet discovery podnet relies on; use"
            " v1.22.4-eksbuild.3 or later"
        )


def prefix_reservation_warnings(config: PodnetConfig) -> list[str]:
    """With prefix delegation every aligned /28 of a pod subnet is reserved for prefixes, so pod ENIs take their
    primary IPs from the 27 addresses of the edge /28s: warn where a zone's nodes at maxSize may need more."""
    if not config.prefix_delegation:
        return []
    return [
        f"prefixDelegation: up to {needed} pod ENIs in {zone} at maxSize (one per ENI beyond a node's first, for the"
        f" type with most ENIs) need a primary IP each, but the pod subnet's prefix reservation leaves {EDGE_FREE_IPS}"
        f" addresses for them; lower nodes.maxSize or spread the nodes over more zones"
        for zone, needed in config.pod_eni_primary_ips.items()
        if needed > EDGE_FREE_IPS
    ]
