"""Hypothesis strategies for configurations: valid ones, and valid ones with exactly one CIDR mistake.

The rules are restated here independently of podnet/config/validation.py, so a property test compares two
encodings of the Amazon VPC / EKS rules instead of the code with itself.
"""

import math
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from hypothesis import strategies as st

from podnet.config.model import SUPPORTED_KUBERNETES_VERSIONS
from podnet.ipplan.architecture import architecture
from podnet.ipplan.eni_limits import eni_limits

RFC1918 = (IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12"), IPv4Network("192.168.0.0/16"))
CGNAT = IPv4Network("100.64.0.0/10")
#: Someone's internet space: allowed as a secondary block, with a warning.
PUBLIC = IPv4Network("52.0.0.0/8")
REGIONS = ("us-east-1", "eu-west-2", "ap-southeast-1")

#: Every node runs aws-node, kube-proxy and the Pod Identity agent: it must hold at least one more pod.
NODE_DAEMONSETS = 3
#: Instance types custom networking can use (a secondary ENI, room for a pod beyond the DaemonSets: the VPC CNI's
#: (ENIs - 1) x (IPs per ENI - 1) + 2), and those that also take prefix delegation.
MULTI_ENI_TYPES = sorted(
    name
    for name, limits in eni_limits().items()
    if limits.enis >= 2 and (limits.enis - 1) * (limits.ips_per_eni - 1) + 2 > NODE_DAEMONSETS
)
PREFIX_TYPES = [name for name in MULTI_ENI_TYPES if eni_limits()[name].prefix_delegation_supported]
#: (prefix delegation, architecture) -> the types above of that architecture, in the same order: looked up once,
#: not for every drawn configuration.
TYPES_BY_MODE_AND_ARCH = {
    (prefix, arch): [name for name in (PREFIX_TYPES if prefix else MULTI_ENI_TYPES) if architecture(name) == arch]
    for prefix in (False, True)
    for arch in ("x86_64", "arm64")
}

Draw = Callable[[st.SearchStrategy[Any]], Any]


def bits_for(count: int) -> int:
    """Extra prefix bits to split a block into ``count`` equal parts."""
    return math.ceil(math.log2(count)) if count > 1 else 0


def block_in(draw: Draw, parent: IPv4Network, prefix: int) -> IPv4Network:
    """Any aligned block of this size inside ``parent``."""
    index = draw(st.integers(0, 2 ** (prefix - parent.prefixlen) - 1))
    return IPv4Network((int(parent.network_address) + index * 2 ** (32 - prefix), prefix))


@st.composite
def valid_configs(draw: Draw) -> dict[str, Any]:
    """A raw configuration (camelCase, as in cdk.json) that AWS and EKS would accept."""
    region = draw(st.sampled_from(REGIONS))
    zones = [
        region + letter for letter in draw(st.lists(st.sampled_from("abcdef"), min_size=2, max_size=4, unique=True))
    ]
    # Node carving: len+1 private blocks, the first one split again into len public subnets, all at most /28.
    vpc_prefix = draw(st.integers(16, 28 - bits_for(len(zones) + 1) - bits_for(len(zones))))
    vpc = block_in(draw, draw(st.sampled_from((*RFC1918, CGNAT))), vpc_prefix)

    pod_subnets = draw(st.booleans())
    pod_prefix = draw(st.integers(16, 28 - (0 if pod_subnets else bits_for(len(zones)))))
    same_range = next(block for block in (*RFC1918, CGNAT) if vpc.subnet_of(block))
    pod = block_in(draw, draw(st.sampled_from((CGNAT, PUBLIC, same_range))), pod_prefix)
    # Same-range blocks are allowed unless they overlap, or hit the 172.31/16 and 10.0/16 special cases.
    restricted = vpc.subnet_of(RFC1918[1]) and pod.overlaps(IPv4Network("172.31.0.0/16"))
    restricted |= vpc.subnet_of(IPv4Network("10.0.0.0/15")) and pod.overlaps(IPv4Network("10.0.0.0/16"))
    if pod.overlaps(vpc) or restricted:
        pod = block_in(draw, PUBLIC, pod_prefix)

    free = [block for block in RFC1918 if not block.overlaps(vpc) and not block.overlaps(pod)]
    parent = draw(st.sampled_from(free))
    service = block_in(draw, parent, draw(st.integers(max(12, parent.prefixlen), 24)))

    raw: dict[str, Any] = {
        # Also a CloudFormation stack name once "-network" is added: a letter first, no '_'.
        "clusterName": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,30}", fullmatch=True)),
        "kubernetesVersion": draw(st.sampled_from(SUPPORTED_KUBERNETES_VERSIONS)),
        "region": region,
        "availabilityZones": zones,
        "vpcCidr": str(vpc),
        "podCidr": str(pod),
        "serviceCidr": str(service),
        "maxPodsCap": draw(st.integers(NODE_DAEMONSETS + 1, 250)),
        "prefixDelegation": draw(st.booleans()),
    }
    if pod_subnets:
        raw["podSubnets"] = draw(explicit_pod_subnets(pod, zones))
    if draw(st.booleans()):
        raw["account"] = draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
        raw["adminRoleArns"] = [f"arn:aws:iam::{raw['account']}:role/admins/platform-admin"]
    raw["endpointAccess"] = draw(st.sampled_from(("private", "public-and-private", "public")))
    if raw["endpointAccess"] != "private" and draw(st.booleans()):
        raw["publicAccessCidrs"] = ["203.0.113.0/24"]
    arch = draw(st.sampled_from(("x86_64", "arm64")))
    types = TYPES_BY_MODE_AND_ARCH[(raw["prefixDelegation"], arch)]
    max_size = draw(st.integers(1, 30))
    autoscaler = draw(st.booleans())
    # The Cluster Autoscaler runs on a node: with it, the cluster keeps at least one.
    min_size = draw(st.integers(1 if autoscaler else 0, max_size))
    raw["nodes"] = {
        "autoscaler": autoscaler,
        "instanceTypes": draw(st.lists(st.sampled_from(types), min_size=1, max_size=4, unique=True)),
        "minSize": min_size,
        "desiredSize": draw(st.integers(min_size, max_size)),
        "maxSize": max_size,
        "onDemandBaseCapacity": draw(st.integers(0, max_size)),
    }
    return raw


@st.composite
def explicit_pod_subnets(draw: Draw, pod: IPv4Network, zones: list[str]) -> dict[str, str]:
    """Disjoint blocks inside podCidr for a non-empty subset of the zones."""
    most = min(len(zones), 2 ** (28 - pod.prefixlen))
    chosen = draw(st.lists(st.sampled_from(zones), min_size=1, max_size=most, unique=True))
    extra = draw(st.integers(bits_for(len(chosen)), 28 - pod.prefixlen))
    indexes = draw(st.lists(st.integers(0, 2**extra - 1), min_size=len(chosen), max_size=len(chosen), unique=True))
    size = 2 ** (32 - pod.prefixlen - extra)
    return {
        zone: str(IPv4Network((int(pod.network_address) + index * size, pod.prefixlen + extra)))
        for zone, index in zip(chosen, indexes, strict=True)
    }


def _with_host_bits(draw: Draw, block: IPv4Network) -> str:
    offset = draw(st.integers(1, block.num_addresses - 1))
    return f"{IPv4Address(int(block.network_address) + offset)}/{block.prefixlen}"


@st.composite
def invalid_cidr_configs(draw: Draw) -> tuple[dict[str, Any], str]:
    """A valid configuration with one CIDR mistake, and the setting the error must name."""
    raw: dict[str, Any] = draw(valid_configs())
    vpc, pod = IPv4Network(raw["vpcCidr"]), IPv4Network(raw["podCidr"])
    zone = raw["availabilityZones"][0]
    mistake = draw(
        st.sampled_from(
            (
                "pod equals vpc",
                "pod contains vpc",
                "restricted pair",
                "198.19 secondary",
                "vpc host bits",
                "pod host bits",
                "vpc size",
                "pod size",
                "service overlaps vpc",
                "service not rfc1918",
                "service size",
                "pod subnet outside podCidr",
                "pod subnets overlap",
                "pod subnet in unknown zone",
                "pod subnet size",
                "vpc too small for zones",
                "vpc link-local",
            )
        )
    )
    if mistake == "pod equals vpc":
        raw["podCidr"] = str(vpc)
        return raw, "podCidr"
    if mistake == "pod contains vpc":
        raw["podCidr"] = str(vpc.supernet(new_prefix=16))
        return raw, "podCidr"
    if mistake == "restricted pair":
        primary, secondary = draw(st.permutations(RFC1918))[:2]
        raw["vpcCidr"] = str(block_in(draw, primary, 16))
        raw["podCidr"] = str(block_in(draw, secondary, draw(st.integers(16, 20))))
        return raw, "podCidr"
    if mistake == "198.19 secondary":
        raw["podCidr"] = str(block_in(draw, IPv4Network("198.19.0.0/16"), draw(st.integers(16, 24))))
        return raw, "podCidr"
    if mistake == "vpc host bits":
        raw["vpcCidr"] = _with_host_bits(draw, vpc)
        return raw, "vpcCidr"
    if mistake == "pod host bits":
        raw["podCidr"] = _with_host_bits(draw, pod)
        return raw, "podCidr"
    if mistake == "vpc size":
        raw["vpcCidr"] = str(vpc.supernet(new_prefix=draw(st.integers(8, 15))))
        return raw, "vpcCidr"
    if mistake == "pod size":
        raw["podCidr"] = str(block_in(draw, pod, draw(st.integers(max(29, pod.prefixlen), 32))))
        return raw, "podCidr"
    if mistake == "service overlaps vpc":
        raw["vpcCidr"] = str(block_in(draw, RFC1918[0], vpc.prefixlen))
        raw["podCidr"] = str(block_in(draw, CGNAT, pod.prefixlen))
        raw.pop("podSubnets", None)
        raw["serviceCidr"] = str(IPv4Network(raw["vpcCidr"]).supernet(new_prefix=draw(st.integers(12, 16))))
        return raw, "serviceCidr"
    if mistake == "service not rfc1918":
        raw["serviceCidr"] = str(block_in(draw, draw(st.sampled_from((CGNAT, PUBLIC))), 16))
        return raw, "serviceCidr"
    if mistake == "service size":
        service = IPv4Network(raw["serviceCidr"])
        raw["serviceCidr"] = str(block_in(draw, service, draw(st.integers(max(25, service.prefixlen), 32))))
        return raw, "serviceCidr"
    if mistake == "pod subnet outside podCidr":
        raw["podSubnets"] = {zone: str(block_in(draw, vpc, max(vpc.prefixlen, 24)))}
        return raw, "podSubnets"
    if mistake == "pod subnets overlap":
        block = str(block_in(draw, pod, min(pod.prefixlen + 2, 28)))
        raw["podSubnets"] = {zone: block, raw["availabilityZones"][1]: block}
        return raw, "podSubnets"
    if mistake == "pod subnet in unknown zone":
        raw["podSubnets"] = {"xx-nowhere-1z": str(pod)}
        return raw, "podSubnets"
    if mistake == "pod subnet size":
        raw["podSubnets"] = {zone: str(block_in(draw, pod, draw(st.integers(max(29, pod.prefixlen), 32))))}
        return raw, "podSubnets"
    if mistake == "vpc too small for zones":
        raw["vpcCidr"] = str(block_in(draw, vpc, 28))
        return raw, "vpcCidr"
    raw["vpcCidr"] = str(block_in(draw, IPv4Network("169.254.0.0/16"), draw(st.integers(16, 24))))
    return raw, "vpcCidr"
