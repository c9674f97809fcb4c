"""ENI limits per EC2 instance type, from the VPC CNI's own table (see podnet/data/SOURCES.md)."""

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

TABLE = "instance-eni-limits.tsv"


@dataclass(frozen=True)
class EniLimits:
    """What the VPC CNI and nodeadm know about one instance type."""

    instance_type: str
    #: ENIs on the default network card: what nodeadm's ``default_enis`` is.
    enis: int
    #: IPv4 addresses per ENI, including the ENI's own primary address.
    ips_per_eni: int
    #: Nitro or bare metal: the VPC CNI can assign /28 prefixes (prefix delegation).
    prefix_delegation_supported: bool


@cache
def eni_limits() -> dict[str, EniLimits]:
    """The whole table, read once per process."""
    with files("podnet.data").joinpath(TABLE).open() as table:
        return {
            row["instance_type"]: EniLimits(
                instance_type=row["instance_type"],
                enis=int(row["default_card_max_enis"]),
                ips_per_eni=int(row["ipv4_per_eni"]),
                prefix_delegation_supported=row["prefix_delegation_supported"] == "true",
            )
            for row in csv.DictReader(table, delimiter="\t")
        }


def lookup(instance_type: str) -> EniLimits | None:
    """Limits of one type, or None when the VPC CNI does not know it."""
    return eni_limits().get(instance_type)
