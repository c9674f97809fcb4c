"""Checks of the pod network's own settings (prefix reservations, CNI add-on, warm pools, pod networking mode), kept
apart from the general validation so each can be read on its own."""

import re

from podnet.config.deployed import DeployedPodNetwork
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
    _check_subnet_discovery(config)
    _check_warm_pool(config)


def _check_warm_pool(config: PodnetConfig) -> None:
    """The combinations the VPC CNI documents (v1.22.4 docs/prefix-and-ip-target.md, docs/eni-and-ip-target.md)."""
    cni = config.cni
    if cni.warm_prefix_target is not None and not config.prefix_delegation:
        raise ConfigError(
            f"cni.warmPrefixTarget {cni.warm_prefix_target} works only with prefix delegation (the VPC CNI ignores it"
            " otherwise); set prefixDelegation true, or use cni.warmIpTarget / cni.minimumIpTarget"
        )
    if cni.warm_prefix_target is not None and (cni.warm_ip_target or cni.minimum_ip_target):
        raise ConfigError(
            "cni.warmPrefixTarget has no effect with cni.warmIpTarget or cni.minimumIpTarget set (they override"
            " it, VPC CNI docs/prefix-and-ip-target.md); remove one of them"
        )


def _check_subnet_discovery(config: PodnetConfig) -> None:
    """With subnet discovery podnet carves each additional block over the node zones itself."""
    if config.pod_networking != "subnet-discovery":
        return
    for zone, subnet in (config.pod_subnets or {}).items():
        if not subnet.subnet_of(config.pod_cidr):
            raise ConfigError(
                f"podSubnets.{zone} {subnet} is outside podCidr {config.pod_cidr}: with podNetworking"
                " subnet-discovery every additionalPodCidrs block is split over the node zones by podnet; place"
                " podSubnets in podCidr"
            )
    zones = len(config.node_availability_zones)
    for block in config.additional_pod_cidrs:
        if block.prefixlen + max(0, (zones - 1).bit_length()) > 28:
            raise ConfigError(
                f"additionalPodCidrs {block} is too small for one pod subnet of at least /28 in each of {zones}"
                f" zones (podNetworking subnet-discovery splits it over them); use a larger block"
            )


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


def warm_pool_warnings(config: PodnetConfig) -> list[str]:
    """The CNI's own caution on WARM_IP_TARGET (docs/eni-and-ip-target.md): more EC2 calls, throttling."""
    if config.cni.warm_ip_target is None:
        return []
    return [
        f"cni.warmIpTarget {config.cni.warm_ip_target}: ipamd attaches and detaches IPs as pods come and go, and the"
        " VPC CNI advises it only for small clusters or low pod churn, since throttled EC2 calls stop IP assignment"
        " on every node; set cni.minimumIpTarget a little above the pods you expect per node"
    ]


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


def check_mode_change(config: PodnetConfig, deployed: DeployedPodNetwork) -> None:
    """Refuse a podNetworking switch on a deployed cluster, with the path that works.

    In place, the new aws-node env, the deleted ENIConfigs and the retagged subnets reach the running nodes before
    their replacements, while pods hold IPs on ENIs the old mode placed; podnet tests no such transition, so it
    offers the path it can stand behind: a second cluster.
    """
    if config.pod_networking == deployed.pod_networking:
        return
    raise ConfigError(
        f"podNetworking {config.pod_networking}: the cluster is deployed with {deployed.pod_networking}, and podnet"
        " does not switch a running cluster in place (aws-node, ENIConfigs and subnet tags would change under running"
        f" pods); 1. deploy a second cluster with another clusterName and podNetworking {config.pod_networking},"
        " 2. move the workloads to it, 3. destroy the old one (make destroy), or keep podNetworking"
        f" {deployed.pod_networking}"
    )
