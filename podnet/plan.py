"""The IP plan of a configuration: subnets per AZ, max pods per instance type, pod capacity at maxSize.

What ``podnet plan`` prints, so a user sees before deploying whether the pods fit.
"""

import json
from dataclasses import dataclass
from ipaddress import IPv4Network

from podnet.config.changes import validate_change
from podnet.config.deployed import DeployedPodNetwork
from podnet.config.model import PodnetConfig
from podnet.config.validation import validate
from podnet.ipplan.carving import carve_node_subnets, usable_ips
from podnet.ipplan.eni_limits import EniLimits, lookup
from podnet.ipplan.max_pods import max_pods


@dataclass(frozen=True)
class ZonePlan:
    """One AZ: its node subnets in the primary CIDR and, if it runs nodes, its pod subnet."""

    name: str
    public_subnet: IPv4Network
    node_subnet: IPv4Network
    #: None: the AZ has no pod subnet, so no ENIConfig and no nodes (it still hosts subnets for EKS and NAT).
    pod_subnet: IPv4Network | None
    #: Addresses pods can get in the pod subnet (0 without one).
    pod_ips: int


@dataclass(frozen=True)
class InstanceTypePlan:
    """Pods one node of this type can run with this configuration's custom networking mode."""

    name: str
    max_pods: int


@dataclass(frozen=True)
class Plan:
    """Everything ``podnet plan`` shows."""

    cluster_name: str
    vpc_cidr: IPv4Network
    pod_cidr: IPv4Network
    additional_pod_cidrs: tuple[IPv4Network, ...]
    service_cidr: IPv4Network
    zones: tuple[ZonePlan, ...]
    instance_types: tuple[InstanceTypePlan, ...]
    max_size: int
    warnings: tuple[str, ...]
    #: Against a deployed pod network: one line per change, each deploying in one step. None: not compared.
    changes: tuple[str, ...] | None = None

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
        """Pods the cluster can run at maxSize: limited by pod IPs or by nodes of the smallest type."""
        return min(self.pod_ips, self.max_size * self.smallest_max_pods)

    def to_json(self) -> str:
        """The plan as a JSON document (camelCase keys, like the configuration)."""
        return json.dumps(
            {
                "clusterName": self.cluster_name,
                "vpcCidr": str(self.vpc_cidr),
                "podCidr": str(self.pod_cidr),
                "additionalPodCidrs": [str(block) for block in self.additional_pod_cidrs],
                "serviceCidr": str(self.service_cidr),
                "zones": [
                    {
                        "name": zone.name,
                        "publicSubnet": str(zone.public_subnet),
                        "nodeSubnet": str(zone.node_subnet),
                        "podSubnet": None if zone.pod_subnet is None else str(zone.pod_subnet),
                        "podIps": zone.pod_ips,
                    }
                    for zone in self.zones
                ],
                "instanceTypes": [{"name": t.name, "maxPods": t.max_pods} for t in self.instance_types],
                "maxSize": self.max_size,
                "podIps": self.pod_ips,
                "podCapacity": self.pod_capacity,
                "warnings": list(self.warnings),
                "changes": None if self.changes is None else list(self.changes),
            },
            indent=2,
        )


def make_plan(config: PodnetConfig, deployed: DeployedPodNetwork | None = None) -> Plan:
    """Validate the configuration, and the change from ``deployed`` if given (raising ConfigError); compute its plan."""
    warnings = validate(config)
    changes = None if deployed is None else tuple(validate_change(config, deployed))
    node_subnets = carve_node_subnets(config.vpc_cidr, config.availability_zones)
    pod_subnets = config.pod_subnet_cidrs
    zones = tuple(
        ZonePlan(
            name=zone,
            public_subnet=node_subnets[zone].public,
            node_subnet=node_subnets[zone].private,
            pod_subnet=pod_subnets.get(zone),
            pod_ips=usable_ips(pod_subnets[zone]) if zone in pod_subnets else 0,
        )
        for zone in config.availability_zones
    )
    mode = config.max_pods_mode
    instance_types = tuple(
        InstanceTypePlan(name=name, max_pods=max_pods(_known(name), mode)) for name in config.nodes.instance_types
    )
    return Plan(
        cluster_name=config.cluster_name,
        vpc_cidr=config.vpc_cidr,
        pod_cidr=config.pod_cidr,
        additional_pod_cidrs=config.additional_pod_cidrs,
        service_cidr=config.service_cidr,
        zones=zones,
        instance_types=instance_types,
        max_size=config.nodes.max_size,
        warnings=tuple(warnings),
        changes=changes,
    )


def _known(instance_type: str) -> EniLimits:
    limits = lookup(instance_type)
    assert limits is not None, "validate() rejects unknown instance types"
    return limits
