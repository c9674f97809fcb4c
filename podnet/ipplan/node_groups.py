"""Cluster-wide node counts split into one Auto Scaling group per zone.

``nodes.minSize``, ``desiredSize``, ``maxSize`` and ``onDemandBaseCapacity`` stay cluster totals, so a
configuration written for one group keeps its meaning: each total is spread over the zones as evenly as
possible, the first zones (in configuration order) taking the remainder. Every count uses the same order, so
a group's shares keep ``min <= desired <= max`` whenever the totals do. With a ``maxSize`` below the number of
zones, the last zones' share of every count is 0: they get no group (an Auto Scaling group that may hold no
node would only confuse), and the totals are unchanged.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupSizes:
    """The sizes of one zone's group."""

    min_size: int
    desired_size: int
    max_size: int
    on_demand_base_capacity: int


def spread(total: int, parts: int) -> tuple[int, ...]:
    """``total`` in ``parts`` shares that differ by at most one, larger shares first; they add up to ``total``."""
    if parts < 1 or total < 0:
        raise ValueError(f"cannot spread {total} over {parts} parts")
    share, remainder = divmod(total, parts)
    return tuple(share + 1 if index < remainder else share for index in range(parts))


def zone_group_sizes(
    zones: Sequence[str], *, min_size: int, desired_size: int, max_size: int, on_demand_base_capacity: int
) -> dict[str, GroupSizes]:
    """Zone -> its group's sizes, the cluster totals spread over ``zones`` in their order; zones left without a
    node at ``max_size`` are left out."""
    columns = (spread(total, len(zones)) for total in (min_size, desired_size, max_size, on_demand_base_capacity))
    groups = {zone: GroupSizes(*sizes) for zone, *sizes in zip(zones, *columns, strict=True)}
    return {zone: sizes for zone, sizes in groups.items() if sizes.max_size > 0}
