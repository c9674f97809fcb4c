"""vCPUs and memory per instance type, from the Cluster Autoscaler's own static list (see podnet/data/SOURCES.md).

The Cluster Autoscaler sizes a scale-up of a group by one instance type (the first of a mixed instances policy);
podnet compares a group's types on the same numbers CA uses.
"""

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

TABLE = "ca-instance-types.tsv"


@dataclass(frozen=True)
class InstanceSize:
    """What the Cluster Autoscaler puts into a template node of this type."""

    instance_type: str
    vcpus: int
    memory_mib: int


@cache
def instance_sizes() -> dict[str, InstanceSize]:
    """The whole table, read once per process."""
    with files("podnet.data").joinpath(TABLE).open() as table:
        return {
            row["instance_type"]: InstanceSize(
                instance_type=row["instance_type"], vcpus=int(row["vcpus"]), memory_mib=int(row["memory_mib"])
            )
            for row in csv.DictReader(table, delimiter="\t")
        }


def instance_size(instance_type: str) -> InstanceSize | None:
    """Size of one type, or None when the Cluster Autoscaler's static list does not have it (newer types)."""
    return instance_sizes().get(instance_type)
