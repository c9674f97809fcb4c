"""Carving: subnets never overlap, stay inside their block, and are the largest equal blocks that fit."""

from ipaddress import IPv4Network
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podnet.config.loading import parse_config
from podnet.ipplan.carving import carve_node_subnets, carve_pod_subnets, equal_blocks, usable_ips
from podnet.ipplan.prefixes import aligned_prefixes, pod_ips, prefix_reservation
from tests.strategies import Draw, bits_for, block_in, valid_configs


def test_equal_blocks_examples() -> None:
    assert equal_blocks(IPv4Network("100.64.0.0/16"), 1) == [IPv4Network("100.64.0.0/16")]
    assert equal_blocks(IPv4Network("100.64.0.0/16"), 3) == [
        IPv4Network("100.64.0.0/18"),
        IPv4Network("100.64.64.0/18"),
        IPv4Network("100.64.128.0/18"),
    ]
    assert equal_blocks(IPv4Network("10.0.0.0/26"), 4) == list(IPv4Network("10.0.0.0/26").subnets(new_prefix=28))


def test_equal_blocks_refuses_blocks_below_28() -> None:
    with pytest.raises(ValueError, match="too small"):
        equal_blocks(IPv4Network("10.0.0.0/27"), 3)


def test_default_node_subnets() -> None:
    plan = carve_node_subnets(IPv4Network("10.0.0.0/16"), ("us-east-1a", "us-east-1b", "us-east-1c"))
    assert [(zone.public, zone.private) for zone in plan.values()] == [
        (IPv4Network("10.0.0.0/20"), IPv4Network("10.0.64.0/18")),
        (IPv4Network("10.0.16.0/20"), IPv4Network("10.0.128.0/18")),
        (IPv4Network("10.0.32.0/20"), IPv4Network("10.0.192.0/18")),
    ]


def test_explicit_pod_subnets_are_used_as_given() -> None:
    config = parse_config({"podSubnets": {"us-east-1b": "100.64.8.0/24"}})
    assert carve_pod_subnets(config.pod_cidr, config.availability_zones, config.pod_subnets) == {
        "us-east-1b": IPv4Network("100.64.8.0/24")
    }
    assert config.node_availability_zones == ("us-east-1b",)


def test_usable_ips_leave_out_the_five_aws_addresses() -> None:
    assert usable_ips(IPv4Network("172.2.3.0/24")) == 251
    assert usable_ips(IPv4Network("100.64.0.0/28")) == 11


def assert_disjoint_inside(blocks: list[IPv4Network], parent: IPv4Network) -> None:
    assert all(block.subnet_of(parent) for block in blocks)
    assert not [(a, b) for a, b in combinations(blocks, 2) if a.overlaps(b)]
    assert all(block.prefixlen <= 28 for block in blocks)


@st.composite
def blocks_and_counts(draw: Draw) -> tuple[IPv4Network, int]:
    prefix = draw(st.integers(16, 28))
    return block_in(draw, IPv4Network("10.0.0.0/8"), prefix), draw(st.integers(1, 40))


@settings(deadline=None, max_examples=300)
@given(blocks_and_counts())
def test_equal_blocks_are_the_largest_that_fit(case: tuple[IPv4Network, int]) -> None:
    cidr, count = case
    if cidr.prefixlen + bits_for(count) > 28:
        with pytest.raises(ValueError):
            equal_blocks(cidr, count)
        return
    blocks = equal_blocks(cidr, count)
    assert len(blocks) == count
    assert_disjoint_inside(blocks, cidr)
    assert len({block.prefixlen for block in blocks}) == 1
    # One bit less and they would not all fit.
    assert 2 ** (blocks[0].prefixlen - 1 - cidr.prefixlen) < count


@settings(deadline=None, max_examples=300)
@given(blocks_and_counts())
def test_node_subnets_never_overlap(case: tuple[IPv4Network, int]) -> None:
    vpc, count = case
    zones = tuple(f"zone-{index}" for index in range(count))
    try:
        plan = carve_node_subnets(vpc, zones)
    except ValueError:
        assert vpc.prefixlen + bits_for(count + 1) + bits_for(count) > 28
        return
    assert list(plan) == list(zones)
    assert_disjoint_inside([subnet for zone in plan.values() for subnet in (zone.public, zone.private)], vpc)


@settings(deadline=None, max_examples=200)
@given(valid_configs())
def test_pod_subnets_of_valid_configs_stay_inside_pod_cidr(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    pods = carve_pod_subnets(config.pod_cidr, config.availability_zones, config.pod_subnets)
    assert set(pods) <= set(config.availability_zones)
    assert_disjoint_inside(list(pods.values()), config.pod_cidr)
    nodes = carve_node_subnets(config.vpc_cidr, config.availability_zones)
    assert_disjoint_inside(
        [subnet for zone in nodes.values() for subnet in (zone.public, zone.private)], config.vpc_cidr
    )


# Prefix delegation: whole aligned /28s that avoid AWS's reserved addresses.


@pytest.mark.parametrize(
    ("cidr", "prefixes"), [("100.64.0.0/24", 14), ("100.64.0.0/18", 1022), ("100.64.0.0/27", 0), ("100.64.0.0/28", 0)]
)
def test_aligned_prefixes_leave_out_the_first_and_last_28(cidr: str, prefixes: int) -> None:
    subnet = IPv4Network(cidr)
    assert aligned_prefixes(subnet) == prefixes
    # The same count by brute force: /28s none of whose addresses AWS reserves.
    reserved = {*list(subnet)[:4], subnet.broadcast_address}
    assert sum(1 for block in subnet.subnets(new_prefix=28) if not reserved & set(block)) == prefixes


def test_pod_ips_with_prefix_delegation() -> None:
    assert pod_ips(IPv4Network("100.64.0.0/24"), prefix_delegation=True) == 224
    assert pod_ips(IPv4Network("100.64.0.0/18"), prefix_delegation=True) == 16_352
    assert pod_ips(IPv4Network("100.64.0.0/24"), prefix_delegation=False) == 251


def test_the_reservation_holds_every_aligned_prefix_and_nothing_else() -> None:
    assert prefix_reservation(IPv4Network("100.64.0.0/24")) == [
        IPv4Network("100.64.0.16/28"),
        IPv4Network("100.64.0.32/27"),
        IPv4Network("100.64.0.64/26"),
        IPv4Network("100.64.0.128/26"),
        IPv4Network("100.64.0.192/27"),
        IPv4Network("100.64.0.224/28"),
    ]
    assert prefix_reservation(IPv4Network("100.64.0.0/27")) == []


@settings(max_examples=30, deadline=None)
@given(prefixlen=st.integers(min_value=16, max_value=28), offset=st.integers(min_value=0, max_value=2**16 - 1))
def test_reserved_prefixes_are_the_pod_ips_and_stay_inside_the_subnet(prefixlen: int, offset: int) -> None:
    subnet = IPv4Network((int(IPv4Network("100.64.0.0/16").network_address) + offset, 32)).supernet(
        new_prefix=prefixlen
    )
    reserved = prefix_reservation(subnet)
    assert sum(block.num_addresses for block in reserved) == pod_ips(subnet, prefix_delegation=True)
    assert all(block.subnet_of(subnet) and block.prefixlen <= 28 for block in reserved)
    assert not any(IPv4Network(f"{subnet.network_address}/28").overlaps(block) for block in reserved)
    assert not any(block.broadcast_address == subnet.broadcast_address for block in reserved)
    assert not any(a.overlaps(b) for a, b in combinations(reserved, 2))
