"""The IP plan: per-AZ subnets, max pods per type, pod capacity at maxSize."""

import json
import re
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from podnet.config.errors import ConfigError
from podnet.config.loading import load_config, parse_config
from podnet.plan import InstanceTypePlan, NodeGroupPlan, VpcBlockPlan, make_plan, make_plans

EXAMPLES = Path(__file__).parent.parent / "examples"
ORIGIN = EXAMPLES / "origin.json"
EXISTING_VPC = EXAMPLES / "existing-vpc.json"
PIPELINE = EXAMPLES / "pipeline.json"


def test_default_plan() -> None:
    plan = make_plan(parse_config({}))
    assert [(zone.name, str(zone.node_subnet), str(zone.pod_subnet), zone.pod_ips) for zone in plan.zones] == [
        ("us-east-1a", "10.0.4.0/22", "100.64.0.0/18", 16379),
        ("us-east-1b", "10.0.8.0/22", "100.64.64.0/18", 16379),
        ("us-east-1c", "10.0.12.0/22", "100.64.128.0/18", 16379),
    ]
    assert {instance_type.max_pods for instance_type in plan.instance_types} == {20}
    assert plan.pod_capacity == 6 * 20
    assert [w.split(" ", 1)[0] for w in plan.warnings] == ["adminRoleArns"]


def test_origin_plan() -> None:
    plan = make_plan(load_config({}, ORIGIN))
    first, second = plan.zones
    assert (first.name, first.pod_subnet, first.pod_ips) == ("us-east-1a", IPv4Network("172.2.3.0/24"), 251)
    assert (second.name, second.pod_subnet, second.pod_ips) == ("us-east-1b", None, 0)
    assert all(
        zone.node_subnet is not None and zone.node_subnet.subnet_of(IPv4Network("10.0.0.0/16")) for zone in plan.zones
    )
    assert plan.instance_types[0] == InstanceTypePlan(name="t3.medium", max_pods=12)
    assert plan.pod_capacity == min(251, plan.max_size * 12)
    assert [warning.split(" ", 1)[0] for warning in plan.warnings] == ["podCidr", "adminRoleArns"]
    assert "podCidr 172.2.0.0/16 is publicly routable" in plan.warnings[0]


def test_capacity_limited_by_pod_ips() -> None:
    # Two /27 pod subnets (27 usable IPs each) cannot hold 6 nodes x 20 pods.
    raw = {"podSubnets": {"us-east-1a": "100.64.0.0/27", "us-east-1b": "100.64.0.32/27"}}
    plan = make_plan(parse_config(raw))
    assert plan.pod_ips == 54
    assert [zone.pod_ips for zone in plan.zones] == [27, 27, 0]
    # Three nodes per zone, each keeping a spare ENI of 9 IPs (WARM_ENI_TARGET=1): nothing is sure to be left.
    assert [group.warm_pool_ips for group in plan.node_groups] == [9, 9]
    assert plan.pod_capacity == 0
    # With a warm pool of 1 IP per node, 27 - 3 x 1 = 24 per zone.
    small_pool = make_plan(parse_config({**raw, "cni": {"warmIpTarget": 1, "minimumIpTarget": 5}}))
    assert [group.warm_pool_ips for group in small_pool.node_groups] == [1, 1]
    assert small_pool.pod_capacity == 48


def test_capacity_limited_by_the_smallest_type() -> None:
    plan = make_plan(parse_config({"nodes": {"instanceTypes": ["m5.large", "m5.xlarge", "m5.4xlarge"], "maxSize": 4}}))
    assert [t.max_pods for t in plan.instance_types] == [20, 44, 110]
    assert plan.pod_capacity == 4 * 20


def test_prefix_delegation_and_cap_come_from_the_config() -> None:
    plan = make_plan(parse_config({"prefixDelegation": True, "maxPodsCap": 250}))
    assert {t.max_pods for t in plan.instance_types} == {250}


def test_plan_refuses_an_invalid_config() -> None:
    with pytest.raises(ConfigError, match=re.escape("podCidr 10.0.0.0/17 overlaps vpcCidr")):
        make_plan(parse_config({"podCidr": "10.0.0.0/17"}))


def test_json_shape() -> None:
    document = json.loads(make_plan(load_config({}, ORIGIN)).to_json())
    assert document["vpcId"] is None
    assert document["vpcBlocks"] == [{"cidr": "10.0.0.0/16", "new": True}, {"cidr": "172.2.0.0/16", "new": True}]
    assert document["zones"] == [
        {
            "name": "us-east-1a",
            "publicSubnet": "10.0.0.0/19",
            "nodeSubnet": "10.0.64.0/18",
            "nodeSubnetId": None,
            "podSubnet": "172.2.3.0/24",
            "podIps": 251,
            "podSubnets": [{"cidr": "172.2.3.0/24", "podIps": 251}],
        },
        {
            "name": "us-east-1b",
            "publicSubnet": "10.0.32.0/19",
            "nodeSubnet": "10.0.128.0/18",
            "nodeSubnetId": None,
            "podSubnet": None,
            "podIps": 0,
            "podSubnets": [],
        },
    ]
    assert document["instanceTypes"] == [
        {"name": "t3.medium", "maxPods": 12},
        {"name": "t3a.medium", "maxPods": 12},
        {"name": "t2.medium", "maxPods": 12},
    ]
    assert document["podCapacity"] == 72
    assert document["podIps"] == 251
    assert [type(warning) for warning in document["warnings"]] == [str, str]


def test_existing_vpc_plan_shows_the_existing_blocks_and_the_new_one() -> None:
    plan = make_plan(load_config({}, EXISTING_VPC))
    assert plan.vpc_id == "vpc-0123456789abcdef0"
    assert plan.vpc_blocks == (
        VpcBlockPlan(IPv4Network("10.20.0.0/16"), new=False),
        VpcBlockPlan(IPv4Network("10.21.0.0/16"), new=False),
        VpcBlockPlan(IPv4Network("100.64.0.0/16"), new=True),
    )
    assert plan.vpc_cidr == IPv4Network("10.20.0.0/16")
    assert [(z.name, z.public_subnet, z.node_subnet, z.node_subnet_id, str(z.pod_subnet)) for z in plan.zones] == [
        ("us-east-1a", None, None, "subnet-0a1a2a3a4a5a6a7a8", "100.64.0.0/18"),
        ("us-east-1b", None, None, "subnet-0b1b2b3b4b5b6b7b8", "100.64.64.0/18"),
        ("us-east-1c", None, None, "subnet-0c1c2c3c4c5c6c7c8", "100.64.128.0/18"),
    ]
    document = json.loads(plan.to_json())
    assert document["vpcBlocks"][-1] == {"cidr": "100.64.0.0/16", "new": True}
    assert (document["zones"][0]["nodeSubnetId"], document["zones"][0]["nodeSubnet"]) == (
        "subnet-0a1a2a3a4a5a6a7a8",
        None,
    )


def test_additional_pod_cidrs_are_new_vpc_blocks_after_pod_cidr() -> None:
    config = load_config({}, EXISTING_VPC).model_copy(update={"additional_pod_cidrs": (IPv4Network("100.65.0.0/16"),)})
    plan = make_plan(config)
    assert [(str(block.cidr), block.new) for block in plan.vpc_blocks] == [
        ("10.20.0.0/16", False),
        ("10.21.0.0/16", False),
        ("100.64.0.0/16", True),
        ("100.65.0.0/16", True),
    ]
    assert plan.additional_pod_cidrs == (IPv4Network("100.65.0.0/16"),)
    assert json.loads(plan.to_json())["additionalPodCidrs"] == ["100.65.0.0/16"]


def test_plans_without_environments_are_the_one_plan() -> None:
    config = load_config({}, ORIGIN)
    plans = make_plans(config)
    assert list(plans) == ["test-cluster"]
    assert plans["test-cluster"] == make_plan(config)


def test_plans_per_environment_use_the_merged_configuration() -> None:
    plans = make_plans(load_config({}, PIPELINE))
    assert list(plans) == ["dev", "prod"]
    dev, prod = plans["dev"], plans["prod"]
    assert (dev.cluster_name, [zone.name for zone in dev.zones], dev.max_size) == (
        "podnet-dev",
        ["eu-west-1a", "eu-west-1b"],
        3,
    )
    assert (prod.cluster_name, prod.vpc_cidr) == ("podnet-prod", IPv4Network("10.1.0.0/16"))


def test_plans_name_the_environment_of_an_error() -> None:
    raw = json.loads(PIPELINE.read_text())
    raw["environments"]["prod"]["podCidr"] = "10.1.0.0/17"
    with pytest.raises(ConfigError, match=re.escape("podnet: environments.prod.podCidr 10.1.0.0/17 overlaps vpcCidr")):
        make_plans(parse_config(raw))


def test_node_groups_one_per_zone_with_a_pod_subnet() -> None:
    plan = make_plan(parse_config({"nodes": {"onDemandBaseCapacity": 1}}))
    assert plan.autoscaler is True
    assert plan.node_groups == (
        NodeGroupPlan("us-east-1a", 1, None, 2, 1, max_pods=20, warm_pool_ips=9, pod_capacity=40),
        NodeGroupPlan("us-east-1b", 1, None, 2, 0, max_pods=20, warm_pool_ips=9, pod_capacity=40),
        NodeGroupPlan("us-east-1c", 0, None, 2, 0, max_pods=20, warm_pool_ips=9, pod_capacity=40),
    )
    origin = make_plan(load_config({}, ORIGIN))
    assert [(group.zone, group.min_size, group.max_size) for group in origin.node_groups] == [("us-east-1a", 2, 6)]


def test_node_groups_without_the_autoscaler_keep_their_desired_size() -> None:
    plan = make_plan(parse_config({"nodes": {"autoscaler": False, "desiredSize": 5, "maxSize": 7}}))
    assert [(group.desired_size, group.max_size) for group in plan.node_groups] == [(2, 3), (2, 2), (1, 2)]
    document = json.loads(plan.to_json())
    assert document["autoscaler"] is False
    assert document["nodeGroups"][0] == {
        "zone": "us-east-1a",
        "minSize": 1,
        "desiredSize": 2,
        "maxSize": 3,
        "onDemandBaseCapacity": 0,
        "maxPods": 20,
        "warmPoolIps": 9,
        "podCapacity": 60,
    }


def test_a_zones_pod_ips_limit_only_its_own_group() -> None:
    # us-east-1a's /26 (59 IPs, less 3 nodes x 9 warm IPs: 32) caps its group below 3 nodes x 20 pods; the /24 of
    # us-east-1b does not.
    raw = {"podSubnets": {"us-east-1a": "100.64.0.0/26", "us-east-1b": "100.64.1.0/24"}}
    plan = make_plan(parse_config(raw))
    assert [(group.zone, group.max_size, group.pod_capacity) for group in plan.node_groups] == [
        ("us-east-1a", 3, 32),
        ("us-east-1b", 3, 60),
    ]
    assert plan.pod_capacity == 92


def test_the_roll_estimate_is_for_the_plans_max_size() -> None:
    """Budget: 10 % of maxSize plus the 2 system nodes; the system groups (1 + 1 node) roll first, then the spot
    zones. The estimate is podnet.ipplan.node_rolls' (figures in tests/test_node_rolls.py)."""
    small, large = make_plan(parse_config({})), make_plan(parse_config({"nodes": {"maxSize": 300}}))
    assert (small.roll_budget, small.roll.nodes, small.roll.batches, small.roll.nodes_out_at_once) == (1, 8, 8, 1)
    # 1 + 1 system nodes, then 100 per zone in batches of 30, 30, 30, 10.
    assert (large.roll_budget, large.roll.nodes, large.roll.batches, large.roll.nodes_out_at_once) == (30, 302, 14, 30)
    assert large.roll.typical_seconds <= 3600
    wider = make_plan(parse_config({"nodes": {"maxSize": 300, "maxUnavailablePercent": 20}}))
    assert (wider.roll_budget, wider.roll.batches) == (60, 2 + 3 * 2)
    assert json.loads(large.to_json())["nodeRoll"] == {
        "budget": 30,
        "nodes": 302,
        "batches": 14,
        "nodesOutAtOnce": 30,
        "typicalSeconds": large.roll.typical_seconds,
        "longestSeconds": large.roll.longest_seconds,
    }
    assert json.loads(small.to_json())["amiRelease"] == "v20260714"


def test_prefix_delegation_counts_whole_aligned_prefixes() -> None:
    """A /24 pod subnet holds 14 usable /28 prefixes (224 IPs), not 251; the default /18s hold 16,352 each."""
    raw = {**json.loads(ORIGIN.read_text()), "prefixDelegation": True, "nodes": {"instanceTypes": ["m5.large"]}}
    origin = make_plan(parse_config(raw))
    assert [zone.pod_ips for zone in origin.zones] == [224, 0]
    # Each of the 6 nodes may keep a spare /28 and 15 addresses of a partly used one (WARM_PREFIX_TARGET=1).
    assert origin.node_groups[0].warm_pool_ips == 31
    assert origin.pod_capacity == 224 - 6 * 31
    default = make_plan(parse_config({"prefixDelegation": True}))
    assert [zone.pod_ips for zone in default.zones] == [16_352] * 3
    assert default.pod_capacity == 6 * 110


def test_prefix_delegation_warns_when_the_edge_28s_cannot_hold_every_pod_enis_primary_ip() -> None:
    """20 m5.large nodes in one zone: up to 40 pod ENIs, and 4 for the two system nodes (m5.large-sized, 3 ENIs
    each): 17 more than the 27 addresses outside the reservation."""
    raw = {"prefixDelegation": True, "podSubnets": {"us-east-1a": "100.64.0.0/24"}}
    many = make_plan(parse_config({**raw, "nodes": {"instanceTypes": ["m5.large"], "maxSize": 20}}))
    (warning,) = [w for w in many.warnings if w.startswith("prefixDelegation")]
    assert "up to 44 pod ENIs in us-east-1a" in warning and "lower nodes.maxSize" in warning
    few = make_plan(parse_config({**raw, "nodes": {"instanceTypes": ["m5.large"], "maxSize": 11}}))
    assert not [w for w in few.warnings if w.startswith("prefixDelegation")]


def test_plan_shows_the_routable_ips_beside_the_pod_ips() -> None:
    """Default /20: three /22 node subnets (1,019 usable each); 6 spot nodes and 2 system nodes at most, one
    routable IP each."""
    document = make_plan(parse_config({})).to_dict()
    assert document["routableIps"] == {"primaryBlock": 4096, "nodeSubnets": 3 * 1019, "usedAtMaxSize": 8}
    assert document["podIps"] == 3 * 16_379
    existing = make_plan(load_config({}, EXISTING_VPC)).to_dict()
    assert existing["routableIps"]["nodeSubnets"] is None
