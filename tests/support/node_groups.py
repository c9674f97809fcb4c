"""The synthesized node groups, keyed by the zone their subnet is in (read from the network stack, not from names)."""

from typing import Any

from tests.support.synth import Synthesized


def subnet_zone(app: Synthesized, subnet: dict[str, Any]) -> str:
    """The AZ of a subnet the cluster stack imports from the network stack."""
    export = subnet["Fn::ImportValue"]
    network = app.template("network")
    (output,) = [o for o in network["Outputs"].values() if o.get("Export", {}).get("Name") == export]
    zone: str = network["Resources"][output["Value"]["Ref"]]["Properties"]["AvailabilityZone"]
    return zone


#: Logical id prefixes: the spot groups' (and their launch template's) and the system groups'.
SPOT = "SpotNodes"
SYSTEM = "SystemNodes"


def node_groups(app: Synthesized, prefix: str = SPOT) -> dict[str, tuple[str, dict[str, Any]]]:
    """Zone -> (logical id, Auto Scaling group) for every spot group (or, with ``SYSTEM``, system group); each
    group must have exactly one subnet."""
    groups: dict[str, tuple[str, dict[str, Any]]] = {}
    for lid, group in app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup").items():
        if not lid.startswith(prefix):
            continue
        (subnet,) = group["Properties"]["VPCZoneIdentifier"]
        zone = subnet_zone(app, subnet)
        assert zone not in groups, f"two groups in {zone}"
        groups[zone] = (lid, group)
    return groups


def tags(group: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Key -> (value, PropagateAtLaunch) of a group's tags."""
    return {tag["Key"]: (tag["Value"], tag["PropagateAtLaunch"]) for tag in group["Properties"]["Tags"]}


def launch_template(app: Synthesized, prefix: str = SPOT) -> tuple[str, dict[str, Any]]:
    """(logical id, launch template) of the spot nodes (or, with ``SYSTEM``, of the system nodes)."""
    ((lid, template),) = [
        (lid, t) for lid, t in app.resources("cluster", "AWS::EC2::LaunchTemplate").items() if lid.startswith(prefix)
    ]
    return lid, template
