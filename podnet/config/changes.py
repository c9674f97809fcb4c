"""Rules for changing a deployed pod network: what deploys in one step, and what needs two (with the path).

``validate_change`` raises ConfigError (one line: the setting, why, the two-step path) or returns one line per
change that deploys in one step. It compares the configuration with the deployed pod network, which the
configuration alone cannot know (see podnet.config.deployed).
"""

from ipaddress import IPv4Network

from podnet.config.deployed import DeployedPodNetwork
from podnet.config.errors import ConfigError
from podnet.config.model import PodnetConfig
from podnet.config.pod_network_rules import check_mode_change
from podnet.ipplan.replacements import Conflict, Replacement, conflicts, free_block, replacements

CREATE_BEFORE_DELETE = "CloudFormation creates the new one before it deletes the old one"

#: What to do when the old pod subnet's delete fails because the CNI left network interfaces in it.
LEFTOVER_ENIS = (
    "if CloudFormation cannot delete the old subnet because network interfaces the CNI left are still in it,"
    " delete them: `aws ec2 describe-network-interfaces --filters Name=subnet-id,Values=SUBNET"
    " Name=status,Values=available --query 'NetworkInterfaces[].NetworkInterfaceId' --output text` and"
    " `aws ec2 delete-network-interface --network-interface-id ENI` for each, then deploy again"
)


def validate_change(config: PodnetConfig, deployed: DeployedPodNetwork) -> list[str]:
    """Check that ``config`` can replace ``deployed`` in one deploy; return a line per change."""
    check_mode_change(config, deployed)
    _check_zones(config, deployed)
    blocks = replacements(
        {str(block): block for block in deployed.pod_cidrs}, {str(block): block for block in config.pod_cidrs}
    )
    for conflict in conflicts(blocks):
        raise ConfigError(_block_conflict(config, conflict))
    subnets = replacements(deployed.pod_subnets, config.pod_subnet_cidrs)
    for conflict in conflicts(subnets):
        raise ConfigError(_subnet_conflict(config, deployed, conflict))
    lines = [_block_line(change) for change in blocks]
    return lines + [_subnet_line(change, config.cluster_name) for change in subnets]


def _check_zones(config: PodnetConfig, deployed: DeployedPodNetwork) -> None:
    """The zones decide the control plane's subnets and, in a VPC podnet builds, how vpcCidr is carved."""
    if config.availability_zones == deployed.availability_zones:
        return
    if config.existing_vpc is None:
        why = (
            "they decide how vpcCidr is carved into public and node subnets (a re-carved subnet overlaps the one it"
            f" replaces, and {CREATE_BEFORE_DELETE}: InvalidSubnet.Conflict) and the control plane's subnets,"
            " which podnet does not change in place; keep availabilityZones as deployed (list every zone you may use"
            " up front: a zone runs nodes only once it has a pod subnet)"
        )
    else:
        why = (
            "they are the zones of existingVpc.nodeSubnets, the control plane's subnets, which podnet does not change"
            " in place; keep existingVpc.nodeSubnets as deployed (list every zone you may use up front: a zone runs"
            " nodes only once it has a pod subnet)"
        )
    raise ConfigError(
        f"availabilityZones {', '.join(config.availability_zones)} differ from the deployed"
        f" {', '.join(deployed.availability_zones)}: {why}"
    )


def _block_setting(config: PodnetConfig, block: IPv4Network) -> str:
    return "podCidr" if block == config.pod_cidr else "additionalPodCidrs"


def _block_conflict(config: PodnetConfig, conflict: Conflict) -> str:
    new, old = conflict.new.after, conflict.old.before
    assert new is not None and old is not None
    return (
        f"{_block_setting(config, new)} {new} overlaps {old}, a deployed pod block this change removes"
        f" ({CREATE_BEFORE_DELETE}, and a VPC cannot hold overlapping blocks); deploy in two steps: first move the"
        f" pod subnets of {old} to a block that overlaps neither and remove {old}, deploy, then add {new} and"
        " deploy again"
    )


def _subnet_conflict(config: PodnetConfig, deployed: DeployedPodNetwork, conflict: Conflict) -> str:
    zone, new, old = conflict.new.key, conflict.new.after, conflict.old.before
    assert new is not None and old is not None
    replaced = "it replaces" if conflict.old.key == zone else f"of {conflict.old.key}, which this change deletes"
    why = f"({CREATE_BEFORE_DELETE}, so it fails with InvalidSubnet.Conflict)"
    if config.pod_subnets is None:
        return (
            f"podCidr {config.pod_cidr} carved gives {zone} {new}, which overlaps {old}, the deployed pod subnet"
            f" {replaced} {why}; set podSubnets: the deployed subnets as they are, and free blocks for zones that"
            " get one"
        )
    taken = [*deployed.pod_subnets.values(), *config.pod_subnet_cidrs.values()]
    step = free_block(config.pod_cidrs, taken, prefix=old.prefixlen)
    first = (
        f"set podSubnets.{zone} to a free block such as {step} and deploy (the nodes roll)"
        if step is not None
        else f"add a block with additionalPodCidrs, move podSubnets.{zone} there and deploy"
    )
    return (
        f"podSubnets.{zone} {new} overlaps {old}, the deployed pod subnet {replaced} {why}; deploy in two steps:"
        f" first {first}, then set {new} and deploy again"
    )


def _block_line(change: Replacement) -> str:
    if change.kind == "added":
        return f"pod block {change.after} added: one step (associated before its subnets are created)"
    return f"pod block {change.before} removed: one step (disassociated after its subnets are deleted)"


def _subnet_line(change: Replacement, cluster_name: str) -> str:
    zone = change.key
    if change.kind == "added":
        return f"{zone}: pod subnet {change.after} added: one step (subnet, ENIConfig, then the nodes roll)"
    if change.kind == "removed":
        # The zone's node groups go with its pod subnet, and each lifecycle hook Refs its group, so CloudFormation
        # deletes the hooks first: the group's last nodes would terminate without a drain.
        groups = (
            f"aws autoscaling describe-auto-scaling-groups --filters Name=tag-key,Values=kubernetes.io/cluster/"
            f"{cluster_name} --query \"AutoScalingGroups[?contains(AvailabilityZones, '{zone}')].AutoScalingGroupName\""
            " --output text"
        )
        return (
            f"{zone}: pod subnet {change.before} removed, and with it {zone}'s node groups: two steps, because"
            " CloudFormation deletes a group's lifecycle hooks before the group, so its nodes would go without a"
            f" drain: (1) drain the zone: for each group of `{groups}` run `aws autoscaling update-auto-scaling-group"
            " --auto-scaling-group-name GROUP --min-size 0 --max-size 0 --desired-capacity 0` and wait until"
            " `aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names GROUP` lists no instances"
            " (NTH drains each node); (2) deploy this configuration (the groups, then the subnet are deleted;"
            f" {LEFTOVER_ENIS})"
        )
    return (
        f"{zone}: pod subnet {change.before} -> {change.after}: one step (new subnet, ENIConfig, the nodes"
        f" roll, each drained, then the old subnet is deleted; {LEFTOVER_ENIS})"
    )
