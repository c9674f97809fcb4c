"""The IP plan of a configuration: subnets per AZ, max pods per instance type, node groups, pod capacity at maxSize.

What ``podnet plan`` prints, so a user sees before deploying whether the pods fit.
"""

import json
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from podnet.config.changes import validate_change
from podnet.config.deployed import DeployedPodNetwork
from podnet.config.environments import expand_environments, validate_environments
from podnet.config.model import PodnetConfig
from podnet.config.validation import validate
from podnet.ipplan.carving import carve_node_subnets, usable_ips
from podnet.ipplan.eni_limits import EniLimits, lookup
from podnet.ipplan.max_pods import max_pods
from podnet.ipplan.node_rolls import RollEstimate
from podnet.ipplan.prefixes import pod_ips
from podnet.ipplan.warm_pool import zone_pod_capacity


@dataclass(frozen=True)
class ZonePlan:
    """One AZ: its node subnets (podnet's, in the primary CIDR, or an existing VPC's) and, if it runs nodes, its
    pod subnet."""

    name: str
    #: None in an existing VPC: podnet creates no public subnets there.
    public_subnet: IPv4Network | None
    #: None in an existing VPC, whose node subnet podnet knows by id only.
    node_subnet: IPv4Network | None
    #: The existing node subnet; None when podnet creates it (its id exists only after deployment).
    node_subnet_id: str | None
    #: None: the AZ has no pod subnet, so no ENIConfig and no nodes (it still hosts subnets for EKS and NAT).
    pod_subnet: IPv4Network | None
    #: Addresses pods can get in the zone's pod subnets (0 without one).
    pod_ips: int
    #: Every pod subnet of the zone: the first, then (subnet discovery) one per additionalPodCidrs block.
    pod_subnets: tuple[IPv4Network, ...] = ()


@dataclass(frozen=True)
class InstanceTypePlan:
    """Pods one node of this type can run with this configuration's custom networking mode."""

    name: str
    max_pods: int


@dataclass(frozen=True)
class VpcBlockPlan:
    """One IPv4 block of the VPC after deployment."""

    cidr: IPv4Network
    #: True: this deployment adds it (vpcCidr of a VPC podnet builds; podCidr and additionalPodCidrs always).
    new: bool


@dataclass(frozen=True)
class NodeGroupPlan:
    """One zone's spot group: its share of the ``nodes`` sizes and the pods it can run."""

    zone: str
    min_size: int
    #: None with the Cluster Autoscaler, which sets the size (the group starts at min_size).
    desired_size: int | None
    max_size: int
    on_demand_base_capacity: int
    #: Pods every node of the group can run (the Cluster Autoscaler's scale-from-zero tag).
    max_pods: int
    #: IPs the VPC CNI's warm pool may hold on each node beyond its pods (worst case, podnet.ipplan.warm_pool).
    warm_pool_ips: int
    #: Pods the group can surely run at max_size: limited by its nodes, or by its zone's pod IPs less the warm pool
    #: of each of its nodes.
    pod_capacity: int


@dataclass(frozen=True)
class Plan:
    """Everything ``podnet plan`` shows."""

    cluster_name: str
    #: custom-networking or subnet-discovery.
    pod_networking: str
    prefix_delegation: bool
    #: The existing VPC; None when podnet builds the VPC.
    vpc_id: str | None
    #: The VPC's blocks after deployment, primary first, then podCidr and additionalPodCidrs.
    vpc_blocks: tuple[VpcBlockPlan, ...]
    #: The primary block (vpcCidr, or the existing VPC's first block).
    vpc_cidr: IPv4Network
    pod_cidr: IPv4Network
    additional_pod_cidrs: tuple[IPv4Network, ...]
    service_cidr: IPv4Network
    zones: tuple[ZonePlan, ...]
    instance_types: tuple[InstanceTypePlan, ...]
    max_size: int
    autoscaler: bool
    node_groups: tuple[NodeGroupPlan, ...]
    #: The AL2023 AMI release the nodes run (pinned, or nodes.amiReleaseVersion).
    ami_release: str
    #: Nodes a roll replaces at once, over all groups (nodes.maxUnavailablePercent of maxSize, at least 1).
    roll_budget: int
    #: A full roll at maxSize, as the templates' update policies run it (podnet.ipplan.node_rolls).
    roll: RollEstimate
    #: Routable (node-subnet) IPs the nodes take at their groups' max, system nodes included: one each, since
    #: pods take pod-subnet IPs in both pod networking modes.
    routable_ips_used: int
    warnings: tuple[str, ...]
    #: Against a deployed pod network: one line per change, each deploying in one step. None: not compared.
    changes: tuple[str, ...] | None = None

    @property
    def node_subnet_ips(self) -> int | None:
        """Usable routable addresses of podnet's node subnets (None in an existing VPC: podnet knows only ids)."""
        if self.vpc_id is not None:
            return None
        return sum(usable_ips(zone.node_subnet) for zone in self.zones if zone.node_subnet is not None)

    @property
    def pod_ips(self) -> int:
        """Pod addresses over all AZs."""
        return sum(zone.pod_ips for zone in self.zones)

    @property
    def smallest_max_pods(self) -> int:
        """Max pods of the type that holds fewest: the spot pool may hand out only that type."""
        return min(instance_type.max_pods for instance_type in self.instance_types)

    @property
    def pod_capacity(self) -> int:
        """Pods the cluster can run at maxSize: per zone's group, limited by its pod IPs or its nodes' max pods."""
        return sum(group.pod_capacity for group in self.node_groups)

    def to_json(self) -> str:
        """The plan as a JSON document (camelCase keys, like the configuration)."""
        return json.dumps(self.to_dict(), indent=2)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {
            "clusterName": self.cluster_name,
            "podNetworking": self.pod_networking,
            "vpcId": self.vpc_id,
            "vpcBlocks": [{"cidr": str(block.cidr), "new": block.new} for block in self.vpc_blocks],
            "vpcCidr": str(self.vpc_cidr),
            "podCidr": str(self.pod_cidr),
            "additionalPodCidrs": [str(block) for block in self.additional_pod_cidrs],
            "serviceCidr": str(self.service_cidr),
            "zones": [
                {
                    "name": zone.name,
                    "publicSubnet": None if zone.public_subnet is None else str(zone.public_subnet),
                    "nodeSubnet": None if zone.node_subnet is None else str(zone.node_subnet),
                    "nodeSubnetId": zone.node_subnet_id,
                    "podSubnet": None if zone.pod_subnet is None else str(zone.pod_subnet),
                    "podIps": zone.pod_ips,
                    "podSubnets": [
                        {"cidr": str(cidr), "podIps": pod_ips(cidr, prefix_delegation=self.prefix_delegation)}
                        for cidr in zone.pod_subnets
                    ],
                }
                for zone in self.zones
            ],
            "instanceTypes": [{"name": t.name, "maxPods": t.max_pods} for t in self.instance_types],
            "maxSize": self.max_size,
            "autoscaler": self.autoscaler,
            "nodeGroups": [
                {
                    "zone": group.zone,
                    "minSize": group.min_size,
                    "desiredSize": group.desired_size,
                    "maxSize": group.max_size,
                    "onDemandBaseCapacity": group.on_demand_base_capacity,
                    "maxPods": group.max_pods,
                    "warmPoolIps": group.warm_pool_ips,
                    "podCapacity": group.pod_capacity,
                }
                for group in self.node_groups
            ],
            "amiRelease": self.ami_release,
            "nodeRoll": {
                "budget": self.roll_budget,
                "nodes": self.roll.nodes,
                "batches": self.roll.batches,
                "nodesOutAtOnce": self.roll.nodes_out_at_once,
                "typicalSeconds": self.roll.typical_seconds,
                "longestSeconds": self.roll.longest_seconds,
            },
            "podIps": self.pod_ips,
            "routableIps": {
                "primaryBlock": self.vpc_cidr.num_addresses,
                "nodeSubnets": self.node_subnet_ips,
                "usedAtMaxSize": self.routable_ips_used,
            },
            "podCapacity": self.pod_capacity,
            "warnings": list(self.warnings),
            "changes": None if self.changes is None else list(self.changes),
        }


def make_plans(
    config: PodnetConfig, *, environment: str | None = None, deployed: DeployedPodNetwork | None = None
) -> dict[str, Plan]:
    """Environment name -> the plan of its merged configuration, validated as app.py does (pipeline included);
    without ``environments``, the one plan under the cluster name. ``environment``: plan only that one (an existing
    name; every environment is still validated). ``deployed``: compare each plan with it, so give it with one plan."""
    environments = expand_environments(config)
    validate_environments(config, environments)
    if environment is not None:
        environments = {environment: environments[environment]}
    return {name: make_plan(merged, deployed) for name, merged in environments.items()}


def make_plan(config: PodnetConfig, deployed: DeployedPodNetwork | None = None) -> Plan:
    """Validate the configuration, and the change from ``deployed`` if given (raising ConfigError); compute its plan."""
    warnings = validate(config)
    changes = None if deployed is None else tuple(validate_change(config, deployed))
    existing = config.existing_vpc
    vpc_blocks = (
        (VpcBlockPlan(config.vpc_cidr, new=True),)
        if existing is None
        else tuple(VpcBlockPlan(block, new=False) for block in existing.cidr_blocks)
    ) + tuple(VpcBlockPlan(block, new=True) for block in config.pod_cidrs)
    pod_subnet_ips = config.pod_subnet_ips
    mode = config.max_pods_mode
    instance_types = tuple(
        InstanceTypePlan(name=name, max_pods=max_pods(_known(name), mode)) for name in config.nodes.instance_types
    )
    node_groups = tuple(
        NodeGroupPlan(
            zone=zone,
            min_size=sizes.min_size,
            desired_size=None if config.nodes.autoscaler else sizes.desired_size,
            max_size=sizes.max_size,
            on_demand_base_capacity=sizes.on_demand_base_capacity,
            max_pods=config.node_max_pods,
            warm_pool_ips=config.warm_pool_ips,
            pod_capacity=zone_pod_capacity(
                pod_ips=pod_subnet_ips[zone],
                nodes=sizes.max_size,
                max_pods=config.node_max_pods,
                warm_ips=config.warm_pool_ips,
            ),
        )
        for zone, sizes in config.node_group_sizes.items()
    )
    return Plan(
        cluster_name=config.cluster_name,
        pod_networking=config.pod_networking,
        prefix_delegation=config.prefix_delegation,
        vpc_id=None if existing is None else existing.vpc_id,
        vpc_blocks=vpc_blocks,
        vpc_cidr=vpc_blocks[0].cidr,
        pod_cidr=config.pod_cidr,
        additional_pod_cidrs=config.additional_pod_cidrs,
        service_cidr=config.service_cidr,
        zones=_zones(config),
        instance_types=instance_types,
        max_size=config.nodes.max_size,
        autoscaler=config.nodes.autoscaler,
        node_groups=node_groups,
        ami_release=config.node_ami_release,
        roll_budget=config.node_roll.batch_size,
        roll=config.node_roll_estimate,
        routable_ips_used=sum(sizes.max_size for sizes in config.node_group_sizes.values())
        + sum(sizes.max_size for sizes in config.system_group_sizes.values()),
        warnings=tuple(warnings),
        changes=changes,
    )


def _zones(config: PodnetConfig) -> tuple[ZonePlan, ...]:
    pod_subnets = config.pod_subnet_cidrs
    pod_ips = config.pod_subnet_ips
    existing = config.existing_vpc
    carved = carve_node_subnets(config.vpc_cidr, config.availability_zones) if existing is None else {}
    return tuple(
        ZonePlan(
            name=zone,
            public_subnet=carved[zone].public if zone in carved else None,
            node_subnet=carved[zone].private if zone in carved else None,
            node_subnet_id=None if existing is None else existing.node_subnets[zone].subnet_id,
            pod_subnet=pod_subnets.get(zone),
            pod_ips=pod_ips.get(zone, 0),
            pod_subnets=config.zone_pod_subnet_cidrs.get(zone, ()),
        )
        for zone in config.availability_zones
    )


def _known(instance_type: str) -> EniLimits:
    limits = lookup(instance_type)
    assert limits is not None, "validate() rejects unknown instance types"
    return limits
