"""Every validation rule rejects what AWS or EKS would reject, in one line naming the setting and the fix."""

from ipaddress import IPv4Network
from typing import Any

import botocore.session
import pytest
from hypothesis import given, settings

from podnet.config.errors import ConfigError
from podnet.config.loading import merge, parse_config
from podnet.config.regions import aws_regions
from podnet.config.validation import validate
from podnet.ipplan.carving import carve_node_subnets
from podnet.plan import make_plan
from tests.strategies import invalid_cidr_configs, valid_configs

ADMIN = {"adminRoleArns": ["arn:aws:iam::123456789012:role/platform-admin"]}


def check(raw: dict[str, Any]) -> list[str]:
    """Parse and validate like app.py and the CLI do, for a cluster that names an administrator."""
    return validate(parse_config({**ADMIN, **raw}))


def error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        check(raw)
    return str(caught.value)


ZONES_2 = {"availabilityZones": ["us-east-1a", "us-east-1b"]}

RULES: list[tuple[str, dict[str, Any], str]] = [
    # Cluster settings.
    ("cluster name empty", {"clusterName": ""}, "clusterName '' is not a valid EKS cluster name"),
    ("cluster name first char", {"clusterName": "-demo"}, "clusterName '-demo'"),
    ("cluster name chars", {"clusterName": "my.cluster"}, "clusterName 'my.cluster'"),
    ("cluster name length", {"clusterName": "a" * 101}, "1-100 letters"),
    ("kubernetes version", {"kubernetesVersion": "1.29"}, "kubernetesVersion '1.29' is not supported"),
    (
        "kubernetes version below the kubectl layer's skew",
        {"kubernetesVersion": "1.34"},
        "kubernetesVersion '1.34' is not supported: podnet's kubectl layer (v1.36) manages Kubernetes 1.35 and 1.36"
        " only; use one of 1.35, 1.36 (an existing cluster moves up one minor version per deploy)",
    ),
    ("region case", {"region": "US-East"}, "region 'US-East' is not an AWS region (none of that name in the"),
    ("region that does not exist", {"region": "us-east-9"}, "; did you mean one of us-east-1, us-east-2?"),
    ("region typo", {"region": "eu-wset-1"}, "; did you mean eu-west-1?"),
    ("region of no partition", {"region": "mars-east-1"}, "region 'mars-east-1' is not an AWS region"),
    ("account length", {"account": "12345"}, "account '12345' is not an AWS account id"),
    ("account digits", {"account": "12345678901a"}, "account '12345678901a'"),
    ("admin role user", {"adminRoleArns": ["arn:aws:iam::123456789012:user/bob"]}, "adminRoleArns: 'arn:aws:iam"),
    ("admin role name", {"adminRoleArns": ["admin"]}, "is not an IAM role ARN"),
    ("public cidrs private", {"publicAccessCidrs": ["203.0.113.0/24"]}, "publicAccessCidrs has no effect"),
    ("max pods cap", {"maxPodsCap": 251}, "maxPodsCap 251 is above 250"),
    # Availability zones.
    ("one zone", {"availabilityZones": ["us-east-1a"]}, "availabilityZones lists 1 zone(s); EKS needs"),
    ("duplicate zone", {"availabilityZones": ["us-east-1a", "us-east-1a"]}, "availabilityZones lists us-east-1a twice"),
    ("zone of other region", {"availabilityZones": ["us-east-1a", "us-west-2b"]}, "'us-west-2b' is not a zone of"),
    ("zone id not name", {"availabilityZones": ["use1-az1", "use1-az2"]}, "availabilityZones: 'use1-az1'"),
    (
        "default zones after a region change",
        {"region": "eu-west-1"},
        "availabilityZones: 'us-east-1a' is not a zone of region eu-west-1",
    ),
    ("local zone", {"availabilityZones": ["us-east-1a", "us-east-1-bos-1a"]}, "'us-east-1-bos-1a' is not a zone of"),
    ("no NAT gateway", {"natGateways": 0}, "natGateways 0: nodes need egress"),
    ("more NAT gateways than zones", {"natGateways": 4}, "use 1 to 3"),
    # VPC blocks.
    ("vpc too big", {"vpcCidr": "10.0.0.0/15"}, "vpcCidr 10.0.0.0/15 has size /15; use a block from /16 to /28"),
    ("vpc too small", {"vpcCidr": "10.0.0.0/29"}, "vpcCidr 10.0.0.0/29 has size /29"),
    ("pod too big", {"podCidr": "100.64.0.0/12"}, "podCidr 100.64.0.0/12 has size /12"),
    ("vpc host bits", {"vpcCidr": "10.0.0.1/16"}, "vpcCidr: "),
    ("pod host bits", {"podCidr": "100.64.0.1/16"}, "podCidr: "),
    ("vpc link-local", {"vpcCidr": "169.254.0.0/16"}, "vpcCidr 169.254.0.0/16 is in 169.254.0.0/16, which no VPC"),
    ("pod multicast", {"podCidr": "224.1.0.0/16"}, "podCidr 224.1.0.0/16 is in 224.0.0.0/4"),
    (
        "pod overlaps vpc",
        {"vpcCidr": "10.0.0.0/16", "podCidr": "10.0.128.0/17"},
        "podCidr 10.0.128.0/17 overlaps vpcCidr 10.0.0.0/16",
    ),
    (
        "10/8 primary, 192.168 secondary",
        {"podCidr": "192.168.0.0/16"},
        "podnet: podCidr 192.168.0.0/16 cannot be added to a VPC whose primary CIDR 10.0.0.0/20 is in 10.0.0.0/8",
    ),
    ("10/8 primary, 172.16/12 secondary", {"podCidr": "172.20.0.0/16"}, "restricts 172.16.0.0/12 there"),
    ("10/8 primary, 198.19 secondary", {"podCidr": "198.19.0.0/16"}, "restricts 198.19.0.0/16 there"),
    (
        "10.0/15 primary, 10.0/16 secondary",
        {"vpcCidr": "10.1.0.0/16", "podCidr": "10.0.0.0/16"},
        "(Amazon VPC restricts 10.0.0.0/16 there); use a block from 100.64.0.0/10",
    ),
    (
        "172.16/12 primary, 172.31 secondary",
        {"vpcCidr": "172.16.0.0/16", "podCidr": "172.31.0.0/16", "serviceCidr": "10.100.0.0/16"},
        "is in 172.16.0.0/12 (Amazon VPC restricts 172.31.0.0/16 there)",
    ),
    (
        "172.16/12 primary, 10/8 secondary",
        {"vpcCidr": "172.16.0.0/16", "podCidr": "10.0.0.0/16"},
        "restricts 10.0.0.0/8 there",
    ),
    ("192.168 primary, 172.16 secondary", {"vpcCidr": "192.168.0.0/16", "podCidr": "172.30.0.0/16"}, "restricts"),
    (
        "198.19 primary, RFC 1918 secondary",
        {"vpcCidr": "198.19.0.0/16", "podCidr": "192.168.0.0/16"},
        "is in 198.19.0.0/16 (Amazon VPC restricts 192.168.0.0/16 there)",
    ),
    (
        "CG-NAT primary, RFC 1918 secondary",
        {"vpcCidr": "100.64.0.0/16", "podCidr": "10.10.0.0/16"},
        "is in publicly routable space or 100.64.0.0/10",
    ),
    # Service CIDR.
    ("service outside RFC 1918", {"serviceCidr": "100.100.0.0/16"}, "serviceCidr 100.100.0.0/16 is not in 10.0.0.0/8"),
    (
        "service too big",
        {"serviceCidr": "10.0.0.0/8"},
        "serviceCidr 10.0.0.0/8 has size /8; use a block from /12 to /24",
    ),
    ("service too small", {"serviceCidr": "172.20.0.0/25"}, "serviceCidr 172.20.0.0/25 has size /25"),
    (
        "service overlaps vpc",
        {"vpcCidr": "10.0.0.0/16", "serviceCidr": "10.0.0.0/12"},
        "serviceCidr 10.0.0.0/12 overlaps vpcCidr 10.0.0.0/16",
    ),
    (
        "service overlaps pod",
        {"podCidr": "10.1.0.0/16", "serviceCidr": "10.1.0.0/20"},
        "serviceCidr 10.1.0.0/20 overlaps podCidr 10.1.0.0/16",
    ),
    # Carving.
    ("vpc too small for zones", {"vpcCidr": "10.0.0.0/26"}, "vpcCidr 10.0.0.0/26 is too small for public and node"),
    ("pod too small for zones", {"podCidr": "100.64.0.0/28"}, "podCidr 100.64.0.0/28 is too small for one pod subnet"),
    # Explicit pod subnets.
    ("pod subnets empty", {"podSubnets": {}}, "podSubnets is empty"),
    ("pod subnet unknown zone", {"podSubnets": {"us-east-1d": "100.64.0.0/24"}}, "podSubnets.us-east-1d: us-east-1d"),
    ("pod subnet outside", {"podSubnets": {"us-east-1a": "100.65.0.0/24"}}, "podSubnets.us-east-1a 100.65.0.0/24 is"),
    ("pod subnet too small", {"podSubnets": {"us-east-1a": "100.64.0.0/29"}}, "podSubnets.us-east-1a 100.64.0.0/29"),
    ("pod subnet host bits", {"podSubnets": {"us-east-1a": "100.64.0.1/24"}}, "podSubnets.us-east-1a: "),
    (
        "pod subnets overlap",
        {"podSubnets": {"us-east-1a": "100.64.0.0/20", "us-east-1b": "100.64.8.0/24"}},
        "podSubnets.us-east-1b 100.64.8.0/24 overlaps podSubnets.us-east-1a 100.64.0.0/20",
    ),
    # Additional pod CIDR blocks.
    ("extra block size", {"additionalPodCidrs": ["100.80.0.0/12"]}, "additionalPodCidrs 100.80.0.0/12 has size /12"),
    (
        "extra block overlaps podCidr",
        {"additionalPodCidrs": ["100.64.128.0/17"]},
        "additionalPodCidrs 100.64.128.0/17 overlaps podCidr 100.64.0.0/16",
    ),
    (
        "extra block overlaps vpc",
        {"additionalPodCidrs": ["10.0.0.0/17"]},
        "additionalPodCidrs 10.0.0.0/17 overlaps vpcCidr",
    ),
    (
        "extra blocks overlap",
        {"additionalPodCidrs": ["100.65.0.0/16", "100.65.128.0/17"]},
        "additionalPodCidrs 100.65.128.0/17 overlaps additionalPodCidrs 100.65.0.0/16",
    ),
    (
        "extra block restricted",
        {"additionalPodCidrs": ["192.168.0.0/16"]},
        "additionalPodCidrs 192.168.0.0/16 cannot be added to a VPC whose primary CIDR 10.0.0.0/20",
    ),
    # The primary (10.2.0.0/16) is outside 10.0.0.0/15, but one pod block inside it restricts 10.0.0.0/16 for the other.
    (
        "extra block restricted by podCidr",
        {"vpcCidr": "10.2.0.0/16", "podCidr": "10.1.0.0/16", "additionalPodCidrs": ["10.0.0.0/17"]},
        "additionalPodCidrs 10.0.0.0/17 cannot be added to a VPC that also gets podCidr 10.1.0.0/16, which is in"
        " 10.0.0.0/15 (Amazon VPC restricts 10.0.0.0/16 there); use a block from 100.64.0.0/10",
    ),
    (
        "podCidr restricted by an extra block",
        {"vpcCidr": "10.2.0.0/16", "podCidr": "10.0.0.0/16", "additionalPodCidrs": ["10.1.0.0/16"]},
        "podCidr 10.0.0.0/16 cannot be added to a VPC that also gets additionalPodCidrs 10.1.0.0/16",
    ),
    (
        "service overlaps extra block",
        {"additionalPodCidrs": ["10.1.0.0/16"], "serviceCidr": "10.1.0.0/20"},
        "serviceCidr 10.1.0.0/20 overlaps additionalPodCidrs 10.1.0.0/16",
    ),
    (
        "pod subnet outside every block",
        {"additionalPodCidrs": ["100.65.0.0/16"], "podSubnets": {"us-east-1a": "100.66.0.0/24"}},
        "podSubnets.us-east-1a 100.66.0.0/24 is outside podCidr 100.64.0.0/16 and additionalPodCidrs 100.65.0.0/16",
    ),
    (
        "pod subnet across two blocks",
        {
            "podCidr": "100.64.0.0/17",
            "additionalPodCidrs": ["100.64.128.0/17"],
            "podSubnets": {"us-east-1a": "100.64.0.0/16"},
        },
        "podSubnets.us-east-1a 100.64.0.0/16 is outside",
    ),
    # Instance types.
    ("unknown type", {"nodes": {"instanceTypes": ["m5.huge"]}}, "unknown instance type 'm5.huge'"),
    ("duplicate type", {"nodes": {"instanceTypes": ["m5.large", "m5.large"]}}, "lists m5.large twice"),
    ("one ENI", {"nodes": {"instanceTypes": ["hpc6id.32xlarge"]}}, "hpc6id.32xlarge has 1 ENI"),
    (
        "prefix delegation on xen",
        {"prefixDelegation": True, "nodes": {"instanceTypes": ["m5.large", "t2.medium"]}},
        "nodes.instanceTypes: t2.medium is not a Nitro or bare-metal type",
    ),
    (
        "mixed architectures",
        {"nodes": {"instanceTypes": ["m6i.large", "m7g.large", "c6gn.large"]}},
        "nodes.instanceTypes mixes arm64 and x86_64 types",
    ),
    # Node group sizes.
    (
        "min above desired",
        {"nodes": {"minSize": 4, "desiredSize": 3}},
        "minSize <= desiredSize <= maxSize (got 4, 3, 6)",
    ),
    ("desired above max", {"nodes": {"desiredSize": 7}}, "(got 2, 7, 6)"),
    (
        "ami release not a date tag",
        {"nodes": {"amiReleaseVersion": "1.35.7-20260827"}},
        "nodes.amiReleaseVersion '1.35.7-20260827' is not an EKS AMI release; use its date tag",
    ),
    ("on-demand above max", {"nodes": {"onDemandBaseCapacity": 7}}, "nodes.onDemandBaseCapacity 7 is above maxSize 6"),
    # Pydantic-level checks, so the same one-line format holds for them too.
    ("unknown key", {"podCidrs": "100.64.0.0/16"}, "unknown setting 'podCidrs'; did you mean 'podCidr'?"),
    ("max pods cap zero", {"maxPodsCap": 0}, "maxPodsCap: "),
]


@pytest.mark.parametrize(("overrides", "expected"), [case[1:] for case in RULES], ids=[case[0] for case in RULES])
def test_rule_rejects(overrides: dict[str, Any], expected: str) -> None:
    message = error_of(merge({}, overrides))
    assert expected in message
    assert message.startswith("podnet: ")
    assert "\n" not in message


def test_defaults_are_valid_and_warn_only_that_nobody_is_admin() -> None:
    (warning,) = validate(parse_config({}))
    assert warning.startswith("adminRoleArns is empty")
    assert check({}) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"podCidr": "10.1.0.0/16"},  # same RFC 1918 range as the primary
        {"vpcCidr": "172.31.0.0/16", "podCidr": "100.64.0.0/16"},  # the default-VPC range as primary is fine
        {"vpcCidr": "10.2.0.0/16", "podCidr": "10.1.0.0/16"},  # primary outside 10.0.0.0/15: 10.1/16 is fine
        # 10.0.0.0/16 with another pod block outside 10.0.0.0/15 is fine.
        {"vpcCidr": "10.2.0.0/16", "podCidr": "10.0.0.0/16", "additionalPodCidrs": ["10.3.0.0/16"]},
        {"vpcCidr": "192.168.0.0/17", "podCidr": "192.168.128.0/17", "serviceCidr": "10.100.0.0/16"},
        {"serviceCidr": "10.100.0.0/16"},
        {"prefixDelegation": True, "nodes": {"instanceTypes": ["m5.large", "c6i.metal", "m6i.large"]}},
        {"endpointAccess": "public-and-private", "publicAccessCidrs": ["203.0.113.0/24"]},
        {"account": "123456789012", "adminRoleArns": ["arn:aws:iam::123456789012:role/path/to/Admin"]},
        {"adminRoleArns": ["arn:aws-cn:iam::123456789012:role/Admin"]},
        {"region": "cn-north-1", "availabilityZones": ["cn-north-1a", "cn-north-1b"]},
        {"region": "us-gov-west-1", "availabilityZones": ["us-gov-west-1a", "us-gov-west-1b"]},
        {"region": "ap-southeast-7", "availabilityZones": ["ap-southeast-7a", "ap-southeast-7b"]},
        {"maxPodsCap": 250, "clusterName": "a" * 100},
        {"nodes": {"minSize": 3, "desiredSize": 3, "maxSize": 3}},  # a fixed-size group still rolls (maxSize - 1)
        {"vpcCidr": "10.0.0.0/25", "availabilityZones": ["us-east-1a", "us-east-1b"]},
        {
            "additionalPodCidrs": ["100.65.0.0/16"],
            "podSubnets": {"us-east-1a": "100.65.0.0/17", "us-east-1b": "100.64.64.0/18"},
        },
    ],
)
def test_accepts(overrides: dict[str, Any]) -> None:
    config = parse_config(overrides)
    validate(config)
    make_plan(config)


def test_known_regions_are_botocores_own() -> None:
    """The region list is read from botocore's data file: it must agree with botocore's own API on it."""
    session = botocore.session.get_session()
    ec2_regions = {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    }
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= ec2_regions <= aws_regions()
    assert "us-east-9" not in aws_regions()


@pytest.mark.parametrize("access", ["public", "public-and-private"])
def test_warns_about_a_public_endpoint_open_to_the_internet(access: str) -> None:
    (warning,) = check({"endpointAccess": access})
    assert warning.startswith(f"endpointAccess '{access}' without publicAccessCidrs opens the Kubernetes API")
    assert "0.0.0.0/0" in warning
    assert check({"endpointAccess": access, "publicAccessCidrs": ["203.0.113.0/24"]}) == []


def test_vpc_size_error_names_a_size_that_fits() -> None:
    """The fix offered for a too-small vpcCidr must itself be accepted."""
    message = error_of({"vpcCidr": "10.0.0.0/26"})
    fits = message.rsplit("use a /", 1)[1].split(" ")[0]
    check({"vpcCidr": f"10.0.0.0/{fits}"})
    carve_node_subnets(IPv4Network(f"10.0.0.0/{fits}"), ("us-east-1a", "us-east-1b", "us-east-1c"))


def test_warns_about_public_pod_cidr() -> None:
    warnings = check({"podCidr": "172.2.0.0/16"})
    assert len(warnings) == 1
    assert warnings[0].startswith("podCidr 172.2.0.0/16 is publicly routable")
    assert "100.64.0.0/10" in warnings[0]


@pytest.mark.parametrize("pod_cidr", ["100.64.0.0/16", "10.1.0.0/16", "198.18.0.0/16"])
def test_no_public_warning_for_private_space(pod_cidr: str) -> None:
    assert not [warning for warning in check({"podCidr": pod_cidr}) if "publicly routable" in warning]


def test_warns_when_pod_subnet_cannot_hold_max_size() -> None:
    # 6 nodes over 2 AZs with pod subnets = 3 per AZ x 20 pods = 60 > 27 usable IPs of a /27.
    raw = {"podSubnets": {"us-east-1a": "100.64.0.0/27", "us-east-1b": "100.64.1.0/24"}}
    assert check(raw) == [
        "podSubnets.us-east-1a: pod subnet 100.64.0.0/27 of us-east-1a has 27 usable IPs for up to 3 nodes x 20 pods"
        " at maxSize; use a larger block"
    ]


def test_pod_subnet_warning_uses_the_largest_type() -> None:
    # 1 node per AZ: a /27 (27 IPs) holds 20 pods of m5.large but not the 44 of m5.xlarge.
    # (No autoscaler: its warnings about mixed sizes are tested on their own.)
    raw = {
        "podCidr": "100.64.0.0/26",
        "nodes": {
            "instanceTypes": ["m5.large", "m5.xlarge", "m6i.large"],
            "minSize": 1,
            "desiredSize": 1,
            "maxSize": 3,
            "autoscaler": False,
        },
    }
    warnings = check(raw)
    assert len(warnings) == 3
    assert all(
        warning.startswith("podCidr: pod subnet 100.64.") and "1 nodes x 44 pods" in warning for warning in warnings
    )


def test_pod_subnet_exactly_full_does_not_warn() -> None:
    # 3 AZs share a /25: a /27 each, 27 usable IPs; 1 node per AZ whose 44 pods are capped to exactly 27.
    nodes = {"instanceTypes": ["m5.xlarge", "m6i.xlarge", "m7i.xlarge"], "minSize": 1, "desiredSize": 1, "maxSize": 3}
    raw = {"podCidr": "100.64.0.0/25", "maxPodsCap": 27, "nodes": nodes}
    assert check(raw) == []
    assert check(merge(raw, {"maxPodsCap": 28})) != []


def test_warns_about_a_pod_block_without_pod_subnets() -> None:
    assert check({"additionalPodCidrs": ["100.65.0.0/16"]}) == [
        "additionalPodCidrs 100.65.0.0/16 holds no pod subnet, so the VPC gets a block nothing uses; place pod subnets"
        " in it with podSubnets or remove it"
    ]


def test_warns_above_the_default_quota_of_vpc_blocks() -> None:
    extra = [f"100.{65 + i}.0.0/16" for i in range(4)]
    warnings = check(
        {
            "additionalPodCidrs": extra,
            "podSubnets": {"us-east-1a": "100.64.0.0/24"}
            | {zone: f"100.{65 + i}.0.0/24" for i, zone in enumerate(["us-east-1b", "us-east-1c"])},
        }
    )
    assert [w for w in warnings if "quota" in w] == [
        "vpcCidr, podCidr and additionalPodCidrs make 6 IPv4 CIDR blocks, above the VPC default quota of 5; ask for"
        " a quota increase (IPv4 CIDR blocks per VPC) before deploying"
    ]


def test_warns_about_a_small_spot_pool() -> None:
    warnings = check({"nodes": {"instanceTypes": ["m5.large", "m6i.large"]}})
    assert warnings == [
        "nodes.instanceTypes lists 2 type(s); a spot pool needs at least 3 of the same size from different families,"
        " or capacity runs out for all of them at once"
    ]


@settings(deadline=None, max_examples=150)
@given(valid_configs())
def test_generated_valid_configs_validate_and_plan(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    warnings = validate(config)
    plan = make_plan(config)
    assert list(plan.warnings) == warnings
    assert all("\n" not in warning for warning in warnings)


@settings(deadline=None, max_examples=300)
@given(invalid_cidr_configs())
def test_generated_cidr_mistakes_are_rejected_in_one_line(case: tuple[dict[str, Any], str]) -> None:
    raw, setting = case
    message = error_of(raw)
    assert message.startswith("podnet: ")
    assert "\n" not in message
    assert setting in message


# existingVpc: the VPC's own blocks and ids come from the configuration, so they are checked like settings.
EXISTING_VPC: dict[str, Any] = {
    "vpcId": "vpc-0123456789abcdef0",
    "cidrBlocks": ["10.20.0.0/16"],
    "nodeSubnets": {
        "us-east-1a": {"subnetId": "subnet-0a1a2a3a4a5a6a7a8", "routeTableId": "rtb-0a1a2a3a4a5a6a7a8"},
        "us-east-1b": {"subnetId": "subnet-0b1b2b3b", "routeTableId": "rtb-0b1b2b3b"},
    },
}


def existing(top: dict[str, Any] | None = None, **vpc: Any) -> dict[str, Any]:
    """A configuration on EXISTING_VPC, with ``vpc`` keys replaced and ``top`` settings added."""
    return {"existingVpc": {**EXISTING_VPC, **vpc}, **(top or {})}


def node_subnets(**zones: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {zone.replace("_", "-"): {"subnetId": s, "routeTableId": r} for zone, (s, r) in zones.items()}


EXISTING_VPC_RULES: list[tuple[str, dict[str, Any], str]] = [
    ("vpc id prefix", existing(vpcId="vpc0123456789abcdef0"), "existingVpc.vpcId 'vpc0123456789abcdef0' is not a"),
    ("vpc id length", existing(vpcId="vpc-0123"), "existingVpc.vpcId 'vpc-0123' is not a VPC id"),
    ("vpc id not hex", existing(vpcId="vpc-0123456789abcdefg"), "use vpc- and 8 or 17 hex digits"),
    ("vpc id upper case", existing(vpcId="vpc-0123456789ABCDEF0"), "existingVpc.vpcId 'vpc-0123456789ABCDEF0'"),
    (
        "subnet id",
        existing(
            nodeSubnets={**EXISTING_VPC["nodeSubnets"], **node_subnets(us_east_1b=("sub-0b1b2b3b", "rtb-0b1b2b3b"))}
        ),
        "existingVpc.nodeSubnets.us-east-1b.subnetId 'sub-0b1b2b3b' is not a subnet id",
    ),
    (
        "route table id",
        existing(
            nodeSubnets=node_subnets(
                us_east_1a=("subnet-0a1a2a3a", "rt-0a1a2a3a"), us_east_1b=("subnet-0b1b2b3b", "rtb-0b1b2b3b")
            )
        ),
        "existingVpc.nodeSubnets.us-east-1a.routeTableId 'rt-0a1a2a3a' is not a route table id",
    ),
    (
        "same subnet in two zones",
        existing(
            nodeSubnets=node_subnets(
                us_east_1a=("subnet-0a1a2a3a", "rtb-0a1a2a3a"), us_east_1b=("subnet-0a1a2a3a", "rtb-0a1a2a3a")
            )
        ),
        "existingVpc.nodeSubnets.us-east-1b.subnetId subnet-0a1a2a3a is also the subnet of us-east-1a",
    ),
    (
        "one node subnet",
        existing(nodeSubnets=node_subnets(us_east_1a=("subnet-0a1a2a3a", "rtb-0a1a2a3a"))),
        "existingVpc.nodeSubnets lists 1 zone(s); EKS needs subnets in at least two",
    ),
    (
        "node subnet zone of another region",
        existing(
            nodeSubnets=node_subnets(
                us_east_1a=("subnet-0a1a2a3a", "rtb-0a1a2a3a"), us_west_2b=("subnet-0b1b2b3b", "rtb-0b1b2b3b")
            )
        ),
        "existingVpc.nodeSubnets: 'us-west-2b' is not a zone of region us-east-1",
    ),
    (
        "zones differ from node subnets",
        existing({"availabilityZones": ["us-east-1a", "us-east-1c"]}),
        "availabilityZones (us-east-1a, us-east-1c) differ from the zones of existingVpc.nodeSubnets (us-east-1a,"
        " us-east-1b); remove availabilityZones",
    ),
    (
        "pod subnet zone without node subnet",
        existing({"podSubnets": {"us-east-1a": "100.64.0.0/24", "us-east-1c": "100.64.1.0/24"}}),
        "podSubnets.us-east-1c: us-east-1c has no node subnet in existingVpc.nodeSubnets (us-east-1a, us-east-1b)",
    ),
    # vpcCidr has a default: only an explicit one is a mistake, even when it equals the default.
    ("vpcCidr with existingVpc", existing({"vpcCidr": "10.0.0.0/16"}), "vpcCidr is set together with existingVpc"),
    ("natGateways with existingVpc", existing({"natGateways": 1}), "natGateways is set together with existingVpc"),
    ("no blocks", existing(cidrBlocks=[]), "existingVpc.cidrBlocks: "),
    ("block too big", existing(cidrBlocks=["10.0.0.0/8"]), "existingVpc.cidrBlocks[0] 10.0.0.0/8 has size /8"),
    (
        "blocks overlap each other",
        existing(cidrBlocks=["10.20.0.0/16", "10.20.128.0/17"]),
        "existingVpc.cidrBlocks[1] 10.20.128.0/17 overlaps existingVpc.cidrBlocks[0] 10.20.0.0/16",
    ),
    (
        "pod overlaps the primary block",
        existing({"podCidr": "10.20.0.0/17"}),
        "podCidr 10.20.0.0/17 overlaps existingVpc.cidrBlocks[0] 10.20.0.0/16",
    ),
    (
        "pod overlaps a secondary block",
        existing({"podCidr": "100.64.0.0/16"}, cidrBlocks=["10.20.0.0/16", "100.64.0.0/17"]),
        "podCidr 100.64.0.0/16 overlaps existingVpc.cidrBlocks[1] 100.64.0.0/17",
    ),
    (
        "pod restricted by the primary block",
        existing({"podCidr": "192.168.0.0/16"}),
        "podCidr 192.168.0.0/16 cannot be added to a VPC whose block 10.20.0.0/16 (existingVpc.cidrBlocks[0]) is in"
        " 10.0.0.0/8 (Amazon VPC restricts 192.168.0.0/16 there)",
    ),
    (
        # The primary alone (10.20.0.0/16, outside 10.0.0.0/15) would allow 10.0.0.0/16; the second block does not.
        "pod restricted by a secondary block",
        existing({"podCidr": "10.0.0.0/16"}, cidrBlocks=["10.20.0.0/16", "10.1.0.0/16"]),
        "podCidr 10.0.0.0/16 cannot be added to a VPC whose block 10.1.0.0/16 (existingVpc.cidrBlocks[1]) is in"
        " 10.0.0.0/15 (Amazon VPC restricts 10.0.0.0/16 there)",
    ),
    (
        "pod restricted by a CG-NAT secondary block",
        existing({"podCidr": "10.30.0.0/16"}, cidrBlocks=["10.20.0.0/16", "100.64.0.0/16"]),
        "whose block 100.64.0.0/16 (existingVpc.cidrBlocks[1]) is in publicly routable space or 100.64.0.0/10",
    ),
    (
        "service overlaps a secondary block",
        existing({"serviceCidr": "10.21.0.0/16"}, cidrBlocks=["10.20.0.0/16", "10.21.0.0/16"]),
        "serviceCidr 10.21.0.0/16 overlaps existingVpc.cidrBlocks[1] 10.21.0.0/16",
    ),
    # additionalPodCidrs against an existing VPC's blocks, like podCidr.
    (
        "extra block overlaps a secondary block",
        existing({"additionalPodCidrs": ["100.65.0.0/16"]}, cidrBlocks=["10.20.0.0/16", "100.65.0.0/17"]),
        "additionalPodCidrs 100.65.0.0/16 overlaps existingVpc.cidrBlocks[1] 100.65.0.0/17",
    ),
    (
        "extra block restricted by a secondary block",
        existing({"additionalPodCidrs": ["10.0.0.0/16"]}, cidrBlocks=["10.20.0.0/16", "10.1.0.0/16"]),
        "additionalPodCidrs 10.0.0.0/16 cannot be added to a VPC whose block 10.1.0.0/16 (existingVpc.cidrBlocks[1])"
        " is in 10.0.0.0/15",
    ),
    (
        "unknown key in a node subnet",
        existing(nodeSubnets={"us-east-1a": {"subnetId": "subnet-0a1a2a3a", "routeTableID": "rtb-0a1a2a3a"}}),
        "unknown setting 'existingVpc.nodeSubnets.us-east-1a.routeTableID'; did you mean 'routeTableId'?",
    ),
    ("unknown key in existingVpc", existing(cidrBlock=["10.20.0.0/16"]), "did you mean 'cidrBlocks'?"),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [case[1:] for case in EXISTING_VPC_RULES], ids=[case[0] for case in EXISTING_VPC_RULES]
)
def test_existing_vpc_rule_rejects(raw: dict[str, Any], expected: str) -> None:
    message = error_of(raw)
    assert expected in message
    assert message.startswith("podnet: ")
    assert "\n" not in message


def test_existing_vpc_quota_warning_counts_every_pod_block() -> None:
    raw = existing(
        {"additionalPodCidrs": ["100.65.0.0/16", "100.66.0.0/16"]},
        cidrBlocks=["10.20.0.0/16", "10.21.0.0/16", "10.22.0.0/16"],
    )
    assert [w for w in check(raw) if "quota" in w] == [
        "existingVpc.cidrBlocks: with podCidr and additionalPodCidrs, vpc-0123456789abcdef0 has 6 IPv4 blocks, more"
        " than the default quota of 5 per VPC; request an increase of 'IPv4 CIDR blocks per VPC' in Service Quotas"
        " (adjustable up to 50) before deploying"
    ]


def test_existing_vpc_zones_default_to_the_node_subnets() -> None:
    config = parse_config(existing())
    assert config.availability_zones == ("us-east-1a", "us-east-1b")
    assert check(existing()) == []
    # Given explicitly, the same zones in another order are accepted (and that order carves podCidr).
    reordered = parse_config(existing({"availabilityZones": ["us-east-1b", "us-east-1a"]}))
    validate(reordered)
    assert list(reordered.pod_subnet_cidrs) == ["us-east-1b", "us-east-1a"]


@pytest.mark.parametrize(
    "raw",
    [
        existing({"podCidr": "10.0.0.0/16"}),  # 10.20.0.0/16 is outside 10.0.0.0/15
        existing({"podCidr": "100.65.0.0/16"}, cidrBlocks=["10.20.0.0/16", "100.64.0.0/16"]),
        existing(cidrBlocks=["172.31.0.0/16"]),  # the default-VPC range: 100.64.0.0/16 may join it
        existing({"natGateways": None}),  # an explicit null is no NAT gateway setting
    ],
)
def test_existing_vpc_accepts(raw: dict[str, Any]) -> None:
    config = parse_config({**ADMIN, **raw})
    assert validate(config) == []
    make_plan(config)


def test_warns_when_the_new_block_exceeds_the_default_quota() -> None:
    four = ["10.20.0.0/16", "10.21.0.0/16", "10.22.0.0/16", "10.23.0.0/16"]
    assert check(existing(cidrBlocks=four)) == []  # 4 + podCidr = 5: the default quota holds them
    assert check(existing(cidrBlocks=[*four, "10.24.0.0/16"])) == [
        "existingVpc.cidrBlocks: with podCidr, vpc-0123456789abcdef0 has 6 IPv4 blocks, more than the default quota"
        " of 5 per VPC; request an increase of 'IPv4 CIDR blocks per VPC' in Service Quotas (adjustable up to 50)"
        " before deploying"
    ]


def test_existing_vpc_blocks_get_no_public_space_advice() -> None:
    """The existing VPC's blocks are not podnet's choice; podCidr still gets the advice."""
    assert check(existing(cidrBlocks=["8.20.0.0/16"])) == []
    (warning,) = check(existing({"podCidr": "8.30.0.0/16"}, cidrBlocks=["8.20.0.0/16"]))
    assert warning.startswith("podCidr 8.30.0.0/16 is publicly routable")
