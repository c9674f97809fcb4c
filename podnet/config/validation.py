"""Cross-setting rules: everything AWS would reject at deploy time, or accept and leave pods hanging.

``validate`` raises ConfigError (one line: the setting and the fix) or returns warnings to print.
Checks run cheapest-and-most-basic first, so the error shown is the root cause (a bad CIDR before the
carving that depends on it).
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network
from itertools import combinations, permutations

from podnet.config.errors import ConfigError
from podnet.config.existing_vpc_rules import DEFAULT_BLOCKS_PER_VPC, check_existing_vpc, existing_vpc_warnings
from podnet.config.model import KUBECTL_LAYER_VERSION, SUPPORTED_KUBERNETES_VERSIONS, PodnetConfig
from podnet.config.pod_network_rules import check_pod_network, prefix_reservation_warnings, warm_pool_warnings
from podnet.config.regions import check_region
from podnet.ipplan.architecture import architecture
from podnet.ipplan.carving import carve_node_subnets, equal_blocks
from podnet.ipplan.eni_limits import EniLimits, lookup
from podnet.ipplan.instance_sizes import instance_size
from podnet.ipplan.max_pods import max_pods

RFC1918 = (IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12"), IPv4Network("192.168.0.0/16"))
#: Shared address space (RFC 6598): private to the VPC, overlaps nobody's network. The recommended pod range.
CGNAT = IPv4Network("100.64.0.0/10")
#: Amazon uses it internally; it can never be a secondary block next to an RFC 1918 or public primary.
AWS_RESTRICTED = IPv4Network("198.19.0.0/16")

#: VPC block sizes Amazon VPC accepts (both primary and secondary blocks, and subnets).
VPC_PREFIX_RANGE = (16, 28)
#: EKS service CIDR: an RFC 1918 block of this size.
SERVICE_PREFIX_RANGE = (12, 24)
#: EKS allows up to 250 pods per node; kubelet's own default is 110.
MAX_PODS_CAP_LIMIT = 250
#: Spot pools with fewer types run dry together; AWS recommends diversifying.
MIN_SPOT_TYPES = 3

#: Not host unicast space, so a VPC cannot use it: "this network", loopback, link-local (the TSV's
#: 169.254.0.0/16 row), multicast and the reserved class E.
UNASSIGNABLE = (
    IPv4Network("0.0.0.0/8"),
    IPv4Network("127.0.0.0/8"),
    IPv4Network("169.254.0.0/16"),
    IPv4Network("224.0.0.0/4"),
    IPv4Network("240.0.0.0/4"),
)

CLUSTER_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9\-_]{0,99}")
ACCOUNT = re.compile(r"\d{12}")
SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}")
#: EKS AMI release names: ``v`` and the build date (amazon-eks-ami's release tags, e.g. v20260827).
AMI_RELEASE = re.compile(r"v\d{8}")
IAM_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}")


@dataclass(frozen=True)
class AssociationRule:
    """One row of ``vpc-ipv4-cidr-association-restrictions.tsv``: blocks a VPC with such a block cannot add."""

    #: The range a block of the VPC lies in; rules are tried in order, the first match applies.
    primary: IPv4Network
    #: How the message names that range.
    name: str
    restricted: tuple[IPv4Network, ...]


ASSOCIATION_RULES = (
    AssociationRule(RFC1918[0], "10.0.0.0/8", (RFC1918[1], RFC1918[2], AWS_RESTRICTED)),
    AssociationRule(
        RFC1918[1], "172.16.0.0/12", (RFC1918[0], RFC1918[2], IPv4Network("172.31.0.0/16"), AWS_RESTRICTED)
    ),
    AssociationRule(RFC1918[2], "192.168.0.0/16", (RFC1918[0], RFC1918[1], AWS_RESTRICTED)),
    AssociationRule(AWS_RESTRICTED, "198.19.0.0/16", RFC1918),
    AssociationRule(IPv4Network("0.0.0.0/0"), "publicly routable space or 100.64.0.0/10", (*RFC1918, AWS_RESTRICTED)),
)
#: The TSV's extra 10.0.0.0/8 rule: if a VPC block lies in 10.0.0.0/15, no block from 10.0.0.0/16 can be added.
TEN_ZERO_SLASH_15 = IPv4Network("10.0.0.0/15")
TEN_ZERO_SLASH_16 = IPv4Network("10.0.0.0/16")


@dataclass(frozen=True)
class VpcBlock:
    """An IPv4 block of the VPC that podCidr joins: podnet's vpcCidr, or a block the existing VPC already has."""

    setting: str
    block: IPv4Network
    #: How an association-restriction message names it.
    described: str


def vpc_blocks(config: PodnetConfig) -> list[VpcBlock]:
    """The VPC's blocks before podCidr is added: vpcCidr, or every one of ``existingVpc.cidrBlocks``."""
    if config.existing_vpc is None:
        return [VpcBlock("vpcCidr", config.vpc_cidr, f"primary CIDR {config.vpc_cidr}")]
    settings = [f"existingVpc.cidrBlocks[{index}]" for index in range(len(config.existing_vpc.cidr_blocks))]
    return [
        VpcBlock(setting, block, f"block {block} ({setting})")
        for setting, block in zip(settings, config.existing_vpc.cidr_blocks, strict=True)
    ]


def validate(config: PodnetConfig) -> list[str]:
    """Check the configuration; return the warnings (synth goes on), raise ConfigError on an error."""
    _check_cluster(config)
    check_existing_vpc(config)
    _check_zones(config)
    _check_vpc_blocks(config)
    _check_service_cidr(config)
    _check_carving(config)
    _check_pod_subnets(config)
    types = _check_instance_types(config, "nodes.instanceTypes", config.nodes.instance_types)
    _check_instance_types(config, "systemNodes.instanceTypes", config.system_nodes.instance_types)
    _check_node_sizes(config)
    _check_ip_alarms(config)
    check_pod_network(config)
    return _warnings(config, types)


def _check_cluster(config: PodnetConfig) -> None:
    if not CLUSTER_NAME.fullmatch(config.cluster_name):
        raise ConfigError(
            f"clusterName {config.cluster_name!r} is not a valid EKS cluster name; use 1-100 letters, digits,"
            " '-' or '_', starting with a letter or digit"
        )
    if config.kubernetes_version not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ConfigError(
            f"kubernetesVersion {config.kubernetes_version!r} is not supported: podnet's kubectl layer"
            f" (v{KUBECTL_LAYER_VERSION}) manages Kubernetes {' and '.join(SUPPORTED_KUBERNETES_VERSIONS)} only; use"
            f" one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (an existing cluster moves up one minor version per"
            " deploy)"
        )
    check_region("region", config.region)
    if config.account is not None and not ACCOUNT.fullmatch(config.account):
        raise ConfigError(f"account {config.account!r} is not an AWS account id; use its 12 digits or leave it out")
    for arn in config.admin_role_arns:
        if not IAM_ROLE_ARN.fullmatch(arn):
            raise ConfigError(
                f"adminRoleArns: {arn!r} is not an IAM role ARN; use arn:aws:iam::<12-digit account>:role/<name>"
            )
    if config.public_access_cidrs and config.endpoint_access == "private":
        raise ConfigError(
            "publicAccessCidrs has no effect with endpointAccess 'private'; set endpointAccess to"
            " 'public-and-private' or remove publicAccessCidrs"
        )
    if config.max_pods_cap > MAX_PODS_CAP_LIMIT:
        raise ConfigError(
            f"maxPodsCap {config.max_pods_cap} is above {MAX_PODS_CAP_LIMIT}, the most pods EKS supports per node;"
            " use 110 (or 250 for nodes with more than 30 vCPUs)"
        )


def _check_zones(config: PodnetConfig) -> None:
    zones = config.availability_zones
    if len(zones) < 2:
        raise ConfigError(
            f"availabilityZones lists {len(zones)} zone(s); EKS needs subnets in at least two, e.g."
            f" [{config.region}a, {config.region}b]"
        )
    _no_duplicates("availabilityZones", zones)
    for zone in zones:
        if not re.fullmatch(re.escape(config.region) + "[a-z]", zone):
            raise ConfigError(
                f"availabilityZones: {zone!r} is not a zone of region {config.region}; use the region name plus a"
                f" letter, e.g. {config.region}a"
            )
    if config.nat_gateways is not None and not 1 <= config.nat_gateways <= len(zones):
        raise ConfigError(
            f"natGateways {config.nat_gateways}: nodes need egress to ECR and the EKS API (podnet creates no VPC"
            f" endpoints), and a gateway serves one zone; use 1 to {len(zones)}, or leave it out for one per zone"
        )


def _pod_blocks(config: PodnetConfig) -> list[tuple[str, IPv4Network]]:
    """(setting, block) for every secondary block podnet associates for pods."""
    return [("podCidr", config.pod_cidr), *(("additionalPodCidrs", block) for block in config.additional_pod_cidrs)]


def _check_vpc_blocks(config: PodnetConfig) -> None:
    blocks = vpc_blocks(config)
    pods = _pod_blocks(config)
    for vpc in blocks:
        _check_prefix(vpc.setting, vpc.block, VPC_PREFIX_RANGE)
    for setting, pod in pods:
        _check_prefix(setting, pod, VPC_PREFIX_RANGE)
    checked = [
        *((vpc.setting, vpc.block, "an RFC 1918 block") for vpc in blocks),
        *((setting, pod, "a block from 100.64.0.0/10") for setting, pod in pods),
    ]
    for setting, block, fix in checked:
        for reserved in UNASSIGNABLE:
            if block.overlaps(reserved):
                raise ConfigError(f"{setting} {block} is in {reserved}, which no VPC can use; use {fix}")
    for earlier, later in combinations(blocks, 2):
        if later.block.overlaps(earlier.block):
            raise ConfigError(
                f"{later.setting} {later.block} overlaps {earlier.setting} {earlier.block}, which no VPC has; list"
                " the VPC's blocks as `aws ec2 describe-vpcs` shows them"
            )
    # Each pod block (podCidr, then each of additionalPodCidrs) against the VPC's blocks and the pod blocks before it.
    taken = [(vpc.setting, vpc.block) for vpc in blocks]
    for setting, pod in pods:
        for other_setting, other in taken:
            if pod.overlaps(other):
                raise ConfigError(
                    f"{setting} {pod} overlaps {other_setting} {other}; use a separate block, e.g. from 100.64.0.0/10"
                )
        taken.append((setting, pod))
    # Amazon VPC's association restrictions, against every block the VPC has (the TSV in podnet/data/).
    for vpc in blocks:
        rule = next(rule for rule in ASSOCIATION_RULES if vpc.block.subnet_of(rule.primary))
        for setting, pod in pods:
            for blocked in rule.restricted:
                if pod.overlaps(blocked):
                    raise ConfigError(
                        f"{setting} {pod} cannot be added to a VPC whose {vpc.described} is in {rule.name}"
                        f" (Amazon VPC restricts {blocked} there); use a block from 100.64.0.0/10"
                    )
            if vpc.block.subnet_of(TEN_ZERO_SLASH_15) and pod.overlaps(TEN_ZERO_SLASH_16):
                raise ConfigError(
                    f"{setting} {pod} cannot be added to a VPC whose {vpc.described} is in {TEN_ZERO_SLASH_15}"
                    f" (Amazon VPC restricts {TEN_ZERO_SLASH_16} there); use a block from 100.64.0.0/10"
                )
    # The 10.0.0.0/16 rule holds against any block of the VPC, and podnet's pod blocks are associated in no set order:
    # one pod block in 10.0.0.0/15 restricts every other from 10.0.0.0/16.
    for (inside_setting, inside), (setting, pod) in permutations(pods, 2):
        if inside.subnet_of(TEN_ZERO_SLASH_15) and pod.overlaps(TEN_ZERO_SLASH_16):
            raise ConfigError(
                f"{setting} {pod} cannot be added to a VPC that also gets {inside_setting} {inside}, which is in"
                f" {TEN_ZERO_SLASH_15} (Amazon VPC restricts {TEN_ZERO_SLASH_16} there); use a block from"
                " 100.64.0.0/10"
            )


def _check_service_cidr(config: PodnetConfig) -> None:
    service = config.service_cidr
    if not any(service.subnet_of(block) for block in RFC1918):
        raise ConfigError(
            f"serviceCidr {service} is not in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 as EKS requires;"
            " use e.g. 172.20.0.0/16"
        )
    _check_prefix("serviceCidr", service, SERVICE_PREFIX_RANGE)
    for setting, block in (*((vpc.setting, vpc.block) for vpc in vpc_blocks(config)), *_pod_blocks(config)):
        if service.overlaps(block):
            raise ConfigError(
                f"serviceCidr {service} overlaps {setting} {block}; pick a service CIDR outside every VPC block,"
                " e.g. 172.20.0.0/16 or 10.100.0.0/16"
            )


def _check_carving(config: PodnetConfig) -> None:
    """The node (and default pod) carving must fit: turn the carving's ValueError into the setting to change."""
    zones = config.availability_zones
    try:
        if config.existing_vpc is None:  # an existing VPC's node subnets are given, not carved
            carve_node_subnets(config.vpc_cidr, zones)
    except ValueError:
        bits = math.ceil(math.log2(len(zones) + 1)) + math.ceil(math.log2(len(zones)))
        raise ConfigError(
            f"vpcCidr {config.vpc_cidr} is too small for public and node subnets of at least /28 in {len(zones)}"
            f" zones; use a /{28 - bits} or larger"
        ) from None
    if config.pod_subnets is None:
        try:
            equal_blocks(config.pod_cidr, len(zones))
        except ValueError:
            bits = math.ceil(math.log2(len(zones)))
            raise ConfigError(
                f"podCidr {config.pod_cidr} is too small for one pod subnet of at least /28 in each of"
                f" {len(zones)} zones; use a /{28 - bits} or larger"
            ) from None


def _check_pod_subnets(config: PodnetConfig) -> None:
    if config.pod_subnets is None:
        return
    if not config.pod_subnets:
        raise ConfigError(
            "podSubnets is empty, so no zone can run nodes; give a zone a pod subnet or remove podSubnets"
        )
    for zone, subnet in config.pod_subnets.items():
        setting = f"podSubnets.{zone}"
        if zone not in config.availability_zones:
            raise ConfigError(
                f"{setting}: {zone} is not in availabilityZones ({', '.join(config.availability_zones)});"
                " add it there or remove this pod subnet"
            )
        _check_prefix(setting, subnet, VPC_PREFIX_RANGE)
        if not any(subnet.subnet_of(block) for block in config.pod_cidrs):
            blocks = " and ".join(f"{name} {block}" for name, block in _pod_blocks(config))
            raise ConfigError(f"{setting} {subnet} is outside {blocks}; pick a block inside one of them")
    for (zone, subnet), (other_zone, other) in combinations(config.pod_subnets.items(), 2):
        if subnet.overlaps(other):
            raise ConfigError(
                f"podSubnets.{other_zone} {other} overlaps podSubnets.{zone} {subnet}; give each zone its own block"
            )


def _check_instance_types(config: PodnetConfig, setting: str, types: tuple[str, ...]) -> list[EniLimits]:
    """The ENI limits of every type of ``setting``, once each type is known to work with custom networking."""
    _no_duplicates(setting, types)
    found = []
    for instance_type in types:
        limits = lookup(instance_type)
        if limits is None:
            raise ConfigError(
                f"{setting}: unknown instance type '{instance_type}'; use one the VPC CNI knows"
                " (podnet max-pods TYPE checks it)"
            )
        if limits.enis < 2:
            raise ConfigError(
                f"{setting}: {instance_type} has {limits.enis} ENI, and custom networking leaves the"
                " primary ENI without pods; use a type with at least two ENIs"
            )
        if config.prefix_delegation and not limits.prefix_delegation_supported:
            raise ConfigError(
                f"{setting}: {instance_type} is not a Nitro or bare-metal type, so prefixDelegation"
                " cannot work on it; use a Nitro type or set prefixDelegation to false"
            )
        found.append(limits)
    architectures = sorted({architecture(t) for t in types})
    if len(architectures) > 1:
        raise ConfigError(
            f"{setting} mixes {' and '.join(architectures)} types, but one launch template has one AMI;"
            " list types of a single architecture"
        )
    return found


def _check_node_sizes(config: PodnetConfig) -> None:
    nodes = config.nodes
    if nodes.ami_release_version is not None and not AMI_RELEASE.fullmatch(nodes.ami_release_version):
        raise ConfigError(
            f"nodes.amiReleaseVersion {nodes.ami_release_version!r} is not an EKS AMI release; use its date tag as"
            " published by amazon-eks-ami, e.g. 'v20260827', or leave it out for the recommended AMI"
        )
    if not nodes.min_size <= nodes.desired_size <= nodes.max_size:
        raise ConfigError(
            f"nodes: need minSize <= desiredSize <= maxSize (got {nodes.min_size}, {nodes.desired_size},"
            f" {nodes.max_size}); adjust the sizes"
        )
    if nodes.on_demand_base_capacity > nodes.max_size:
        raise ConfigError(
            f"nodes.onDemandBaseCapacity {nodes.on_demand_base_capacity} is above maxSize {nodes.max_size};"
            " lower it or raise maxSize"
        )
    if nodes.autoscaler and nodes.min_size == 0:
        raise ConfigError(
            "nodes.minSize 0 with nodes.autoscaler on: the Cluster Autoscaler runs on a node itself, so a cluster at"
            " zero nodes would never scale up; use a minSize of at least 1, or set nodes.autoscaler to false"
        )


def _check_ip_alarms(config: PodnetConfig) -> None:
    topic = config.ip_alarms.topic_arn
    if topic is not None and not SNS_TOPIC_ARN.fullmatch(topic):
        raise ConfigError(
            f"ipAlarms.topicArn {topic!r} is not an SNS topic ARN; use arn:aws:sns:<region>:<12-digit account>:<topic>"
            " or leave it out"
        )


def _warnings(config: PodnetConfig, types: list[EniLimits]) -> list[str]:
    warnings = existing_vpc_warnings(config) + prefix_reservation_warnings(config) + warm_pool_warnings(config)
    # An existing VPC's blocks are not podnet's choice: only podnet's own blocks get this advice.
    own_blocks = _pod_blocks(config) if config.existing_vpc else [("vpcCidr", config.vpc_cidr), *_pod_blocks(config)]
    for setting, block in own_blocks:
        if block.is_global:
            warnings.append(
                f"{setting} {block} is publicly routable space that belongs to someone else on the internet; pods"
                " cannot reach the real owners of those addresses. Prefer a block from 100.64.0.0/10"
            )
    pods = config.pod_subnet_cidrs
    every_pod_subnet = [cidr for cidrs in config.zone_pod_subnet_cidrs.values() for cidr in cidrs]
    for setting, block in _pod_blocks(config):
        if not any(subnet.subnet_of(block) for subnet in every_pod_subnet):
            warnings.append(
                f"{setting} {block} holds no pod subnet, so the VPC gets a block nothing uses; place pod subnets in"
                " it with podSubnets or remove it"
            )
    blocks = 1 + len(config.pod_cidrs)
    if config.existing_vpc is None and blocks > DEFAULT_BLOCKS_PER_VPC:  # existing_vpc_warnings counts its blocks
        warnings.append(
            f"vpcCidr, podCidr and additionalPodCidrs make {blocks} IPv4 CIDR blocks, above the VPC default quota of"
            f" {DEFAULT_BLOCKS_PER_VPC}; ask for a quota increase (IPv4 CIDR blocks per VPC) before deploying"
        )
    per_node = max(max_pods(limits, config.max_pods_mode) for limits in types)
    pod_ips = config.pod_subnet_ips
    for zone, sizes in config.node_group_sizes.items():
        setting = "podCidr" if config.pod_subnets is None else f"podSubnets.{zone}"
        if pod_ips[zone] < sizes.max_size * per_node:
            warnings.append(
                f"{setting}: pod subnet {pods[zone]} of {zone} has {pod_ips[zone]} usable IPs for up to"
                f" {sizes.max_size} nodes x {per_node} pods at maxSize; use a larger block"
            )
    zones = config.node_availability_zones
    left_out = [zone for zone in zones if zone not in config.node_group_sizes]
    if left_out:
        warnings.append(
            f"nodes.maxSize {config.nodes.max_size} is below the {len(zones)} zones with a pod subnet, so there is"
            f" no node group in {', '.join(left_out)} (each zone's group needs room for a node); raise maxSize to"
            f" {len(zones)} to run nodes in every zone"
        )
    if config.endpoint_access != "private" and not config.public_access_cidrs:
        warnings.append(
            f"endpointAccess {config.endpoint_access!r} without publicAccessCidrs opens the Kubernetes API endpoint to"
            " 0.0.0.0/0 (the whole internet); set publicAccessCidrs to the networks your administrators use"
        )
    if not config.admin_role_arns:
        warnings.append(
            "adminRoleArns is empty: the deploying principal gets no cluster access, so only the CDK's kubectl"
            " provider can use the Kubernetes API; add the IAM role ARNs of your administrators"
        )
    if len(types) < MIN_SPOT_TYPES:
        warnings.append(
            f"nodes.instanceTypes lists {len(types)} type(s); a spot pool needs at least {MIN_SPOT_TYPES} of the"
            " same size from different families, or capacity runs out for all of them at once"
        )
    if config.nodes.autoscaler:
        warnings += _autoscaler_warnings(config, types)
    return warnings


def _autoscaler_warnings(config: PodnetConfig, types: list[EniLimits]) -> list[str]:
    """The Cluster Autoscaler plans a group's scale-up with its first instance type: the others should match it."""
    warnings = []
    names = config.nodes.instance_types
    first = names[0]
    pods = {limits.instance_type: max_pods(limits, config.max_pods_mode) for limits in types}
    if len(set(pods.values())) > 1:
        listed = ", ".join(f"{name} {pods[name]}" for name in names)
        warnings.append(
            f"nodes.instanceTypes hold different numbers of pods ({listed}); the groups' scale-from-zero tag says"
            f" {min(pods.values())}, so the Cluster Autoscaler may add more nodes than needed, and it does not balance"
            " zones whose nodes differ in pods; list types that hold the same number (podnet max-pods TYPE...)"
        )
    sizes = {name: instance_size(name) for name in names}
    known = {name: size for name, size in sizes.items() if size is not None}
    if len({(size.vcpus, size.memory_mib) for size in known.values()}) > 1:
        listed = ", ".join(f"{name} {size.vcpus} vCPU/{size.memory_mib / 1024:g} GiB" for name, size in known.items())
        warnings.append(
            f"nodes.instanceTypes differ in vCPU or memory ({listed}); the Cluster Autoscaler simulates only {first}"
            " when it scales up a group, so it adds too many or too few nodes; list types of one size"
        )
    unknown = [name for name, size in sizes.items() if size is None]
    if unknown and len(names) > 1:
        warnings.append(
            f"nodes.instanceTypes: the Cluster Autoscaler's static instance list does not have {', '.join(unknown)},"
            " so podnet cannot check that its vCPU and memory match the other types; check them yourself"
        )
    return warnings


def _check_prefix(setting: str, block: IPv4Network, allowed: tuple[int, int]) -> None:
    low, high = allowed
    if not low <= block.prefixlen <= high:
        raise ConfigError(f"{setting} {block} has size /{block.prefixlen}; use a block from /{low} to /{high}")


def _no_duplicates(setting: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ConfigError(f"{setting} lists {value} twice; list each once")
        seen.add(value)
