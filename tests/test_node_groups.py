"""Per-zone node groups: how the cluster totals split, what validation says about them, the groups' max pods."""

import csv
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.validation import validate
from podnet.ipplan.architecture import architecture
from podnet.ipplan.instance_sizes import instance_size, instance_sizes
from podnet.ipplan.max_pods import max_pods_expression
from podnet.ipplan.node_groups import GroupSizes, spread, zone_group_sizes
from tests.support import REPO_ROOT
from tests.test_spot_node_group import evaluate_max_pods

ADMIN = {"adminRoleArns": ["arn:aws:iam::123456789012:role/platform-admin"]}
ENI_TABLE = REPO_ROOT / "podnet" / "data" / "instance-eni-limits.tsv"


def check(raw: dict[str, Any]) -> list[str]:
    return validate(parse_config({**ADMIN, **raw}))


def eni_rows() -> dict[str, dict[str, str]]:
    """The ENI table as its file says, read here without podnet's parser."""
    with ENI_TABLE.open() as table:
        return {row["instance_type"]: row for row in csv.DictReader(table, delimiter="\t")}


def test_spread_gives_the_remainder_to_the_first_zones() -> None:
    assert spread(7, 3) == (3, 2, 2)
    assert spread(6, 3) == (2, 2, 2)
    assert spread(2, 3) == (1, 1, 0)
    assert spread(0, 2) == (0, 0)
    with pytest.raises(ValueError):
        spread(3, 0)


@given(st.integers(0, 500), st.integers(1, 12))
def test_spread_is_even_and_adds_up(total: int, parts: int) -> None:
    shares = spread(total, parts)
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert list(shares) == sorted(shares, reverse=True)


@given(
    st.lists(st.integers(0, 40), min_size=3, max_size=3).map(sorted),
    st.integers(0, 40),
    st.integers(1, 6),
)
def test_every_group_keeps_min_desired_max_and_the_totals(sizes: list[int], on_demand: int, zone_count: int) -> None:
    low, desired, high = sizes
    zones = [f"us-east-1{letter}" for letter in "abcdef"[:zone_count]]
    on_demand = min(on_demand, high)
    groups = zone_group_sizes(
        zones, min_size=low, desired_size=desired, max_size=high, on_demand_base_capacity=on_demand
    )
    assert list(groups) == zones[: len(groups)], "groups keep the configuration's zone order"
    assert all(
        g.min_size <= g.desired_size <= g.max_size and g.on_demand_base_capacity <= g.max_size for g in groups.values()
    )
    assert all(g.max_size >= 1 for g in groups.values()), "a group with no room for a node is left out"
    assert len(groups) == min(len(zones), high)
    assert sum(g.min_size for g in groups.values()) == low
    assert sum(g.desired_size for g in groups.values()) == desired
    assert sum(g.max_size for g in groups.values()) == high
    assert sum(g.on_demand_base_capacity for g in groups.values()) == on_demand


def test_default_nodes_split_over_three_zones() -> None:
    """minSize 2, desiredSize 3, maxSize 6: the same cluster as the single group of before, spread by zone."""
    assert parse_config({"nodes": {"onDemandBaseCapacity": 1}}).node_group_sizes == {
        "us-east-1a": GroupSizes(min_size=1, desired_size=1, max_size=2, on_demand_base_capacity=1),
        "us-east-1b": GroupSizes(min_size=1, desired_size=1, max_size=2, on_demand_base_capacity=0),
        "us-east-1c": GroupSizes(min_size=0, desired_size=1, max_size=2, on_demand_base_capacity=0),
    }


def test_only_zones_with_a_pod_subnet_get_a_group() -> None:
    config = parse_config({"podSubnets": {"us-east-1b": "100.64.0.0/20", "us-east-1c": "100.64.16.0/20"}})
    assert list(config.node_group_sizes) == ["us-east-1b", "us-east-1c"]


def test_max_size_below_the_zone_count_warns_and_leaves_the_last_zones_out() -> None:
    raw = {"nodes": {"minSize": 1, "desiredSize": 1, "maxSize": 1}}
    assert list(parse_config(raw).node_group_sizes) == ["us-east-1a"]
    assert check(raw) == [
        "nodes.maxSize 1 is below the 3 zones with a pod subnet, so there is no node group in us-east-1b,"
        " us-east-1c (each zone's group needs room for a node); raise maxSize to 3 to run nodes in every zone"
    ]


def test_the_autoscaler_needs_a_node_to_run_on() -> None:
    with pytest.raises(ConfigError) as caught:
        check({"nodes": {"minSize": 0, "desiredSize": 0}})
    assert str(caught.value) == (
        "podnet: nodes.minSize 0 with nodes.autoscaler on: the Cluster Autoscaler runs on a node itself, so a"
        " cluster at zero nodes would never scale up; use a minSize of at least 1, or set nodes.autoscaler to false"
    )
    assert check({"nodes": {"minSize": 0, "desiredSize": 0, "autoscaler": False}}) == []


@pytest.mark.parametrize(
    ("types", "prefix_delegation", "cap"),
    [
        (["m5.large", "m6i.large", "m7i.large"], False, 110),  # all 20
        (["t3.medium", "t3a.medium", "t2.medium"], False, 110),  # all 12
        (["m5.large", "m5.xlarge", "m5.4xlarge"], False, 110),  # 20, 44, 234 -> 110
        (["m5.24xlarge", "c5.24xlarge", "r5.24xlarge"], False, 250),  # 737 each, capped at 250
        (["m5.large", "t3.large", "m6i.large"], False, 110),  # 20, 24, 20
        (["m5.large", "m6i.large", "m7i.large"], True, 110),  # prefixes: capped
        (["m7a.medium", "m6a.large", "m5.large"], True, 250),  # m7a.medium: 1 pod ENI x 3 prefixes
    ],
)
def test_group_max_pods_is_the_smallest_of_the_eni_table(types: list[str], prefix_delegation: bool, cap: int) -> None:
    """The number tagged on every group for scale-from-zero: the fewest pods any of its types can run."""
    config = parse_config({"nodes": {"instanceTypes": types}, "prefixDelegation": prefix_delegation, "maxPodsCap": cap})
    rows = eni_rows()
    # What each node's kubelet will get: the launch template's CEL expression, run with the type's table row.
    expression = max_pods_expression(config.max_pods_mode)
    kubelet = [
        evaluate_max_pods(expression, int(rows[t]["default_card_max_enis"]), int(rows[t]["ipv4_per_eni"]))
        for t in types
    ]
    assert config.node_max_pods == min(kubelet)
    if not prefix_delegation:
        # The table's own custom-networking column, capped.
        assert config.node_max_pods == min(min(int(rows[t]["max_pods_custom_networking"]) for t in types), cap)


def test_mixed_pod_counts_warn_with_the_autoscaler_only() -> None:
    raw = {"nodes": {"instanceTypes": ["m5.large", "t3.large", "m6i.large"]}}
    assert check(raw) == [
        "nodes.instanceTypes hold different numbers of pods (m5.large 20, t3.large 24, m6i.large 20); the groups'"
        " scale-from-zero tag says 20, so the Cluster Autoscaler may add more nodes than needed, and it does not"
        " balance zones whose nodes differ in pods; list types that hold the same number (podnet max-pods TYPE...)"
    ]
    assert check({"nodes": {**raw["nodes"], "autoscaler": False}}) == []


def test_mixed_memory_warns_with_the_autoscaler_only() -> None:
    # All three hold 20 pods and have 2 vCPUs; memory is 4, 8 and 16 GiB.
    raw = {"nodes": {"instanceTypes": ["c5.large", "m5.large", "r5.large"]}}
    assert check(raw) == [
        "nodes.instanceTypes differ in vCPU or memory (c5.large 2 vCPU/4 GiB, m5.large 2 vCPU/8 GiB, r5.large 2"
        " vCPU/16 GiB); the Cluster Autoscaler simulates only c5.large when it scales up a group, so it adds too"
        " many or too few nodes; list types of one size"
    ]
    assert check({"nodes": {**raw["nodes"], "autoscaler": False}}) == []


def test_a_type_missing_from_the_size_table_is_named() -> None:
    assert instance_size("c8ib.large") is None
    warnings = check({"nodes": {"instanceTypes": ["m6i.large", "m7i.large", "c8ib.large"]}})
    assert (
        "nodes.instanceTypes: the Cluster Autoscaler's static instance list does not have c8ib.large, so podnet"
        " cannot check that its vCPU and memory match the other types; check them yourself"
    ) in warnings


def test_size_table_agrees_with_the_architecture_podnet_picks_amis_by() -> None:
    """Two sources, one fact: CA's architecture column and podnet's family-name rule."""
    with (REPO_ROOT / "podnet" / "data" / "ca-instance-types.tsv").open() as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    assert len(rows) == len(instance_sizes()) > 1000
    names = {"amd64": "x86_64", "arm64": "arm64"}
    assert {
        row["instance_type"] for row in rows if names[row["architecture"]] != architecture(row["instance_type"])
    } == set()


def test_default_types_are_one_size() -> None:
    sizes = {instance_size(name) for name in parse_config({}).nodes.instance_types}
    assert {(size.vcpus, size.memory_mib) for size in sizes if size is not None} == {(2, 8192)}
    assert None not in sizes
