"""Typed settings with their defaults. Keys are camelCase in cdk.json and config files."""

from ipaddress import IPv4Network
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from podnet.config.aws_node_env import DEFAULT_WARM_PREFIX_TARGET, aws_node_env
from podnet.config.vpc_cni_versions import pinned_vpc_cni_version
from podnet.ipplan.ami_releases import ami_release
from podnet.ipplan.architecture import architecture
from podnet.ipplan.carving import carve_pod_subnets, equal_blocks
from podnet.ipplan.eni_limits import EniLimits, lookup
from podnet.ipplan.max_pods import MaxPodsMode, smallest_max_pods
from podnet.ipplan.node_groups import GroupSizes, zone_group_sizes
from podnet.ipplan.node_rolls import (
    DEFAULT_MAX_UNAVAILABLE_PERCENT,
    READY_SIGNAL_TIMEOUT_SECONDS,
    RollEstimate,
    RollSettings,
    RollTimings,
    estimate_roll,
    roll_budget,
)
from podnet.ipplan.prefixes import pod_ips, prefix_reservation
from podnet.ipplan.warm_pool import warm_pool_ips

#: Minor version of the kubectl in the cluster's kubectl layer (aws-cdk.lambda-layer-kubectl-v36).
KUBECTL_LAYER_VERSION = "1.36"
#: Kubernetes minor versions podnet supports: those that kubectl can manage (it talks to API servers one minor
#: version either side of its own) and aws-cdk-lib 2.275's aws_eks_v2 knows (up to 1.36). The newest is the
#: default: the longest support window before an upgrade.
SUPPORTED_KUBERNETES_VERSIONS = ("1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.36"

#: Same size (2 vCPU, 8 GiB), x86_64, Nitro, from four families: a diversified spot pool whose members
#: all hold the same number of pods (20 with custom networking), so the scheduler sees uniform nodes.
DEFAULT_INSTANCE_TYPES = ("m6i.large", "m6a.large", "m5.large", "m5a.large", "m7i.large", "m7a.large")


class _Settings(BaseModel):
    """Base: camelCase keys, unknown keys rejected, values immutable after validation."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=False,
    )


class NodesConfig(_Settings):
    """The self-managed spot nodes: one Auto Scaling group per zone with a pod subnet.

    The sizes are cluster totals, spread over the zones' groups (podnet.ipplan.node_groups).
    """

    instance_types: tuple[str, ...] = Field(default=DEFAULT_INSTANCE_TYPES, min_length=1)
    min_size: int = Field(default=2, ge=0)
    #: Only without the autoscaler: with it, the groups start at their minSize and the Cluster Autoscaler sizes them.
    desired_size: int = Field(default=3, ge=0)
    max_size: int = Field(default=6, ge=1)
    on_demand_base_capacity: int = Field(default=0, ge=0)
    #: Install the Cluster Autoscaler, which moves each group's size between its min and max.
    autoscaler: bool = True
    #: EKS AL2023 AMI release the nodes run (``v20260827``). None: the release podnet pins for the Kubernetes version
    #: (podnet.ipplan.ami_releases). Changing it rolls every node; ``podnet preflight`` says when a newer one exists.
    ami_release_version: str | None = None
    #: Share of the cluster's nodes (at maxSize) a node roll may replace at once, over all groups; at least one node.
    max_unavailable_percent: float = Field(default=DEFAULT_MAX_UNAVAILABLE_PERCENT, gt=0, le=100)


#: On-demand, burstable, 2 vCPU and 4 GiB, 12 pods each with custom networking: room for the controllers, x86_64.
DEFAULT_SYSTEM_INSTANCE_TYPES = ("t3.medium", "t3a.medium")


class SystemNodesConfig(_Settings):
    """The small on-demand node groups that run podnet's controllers (NTH, Cluster Autoscaler, CoreDNS) away from
    spot interruptions; tainted, so workloads stay on the spot nodes (podnet.constructs.system_nodes)."""

    #: The first type that has capacity is launched (on-demand allocation "prioritized").
    instance_types: tuple[str, ...] = Field(default=DEFAULT_SYSTEM_INSTANCE_TYPES, min_length=1)
    #: System nodes in all, spread over the node zones (at most one group per zone).
    size: int = Field(default=2, ge=1)


class IpAlarmsConfig(_Settings):
    """CloudWatch alarms on the free IPs of each pod subnet (see podnet.constructs.pod_ip_alarms)."""

    enabled: bool = True
    #: A pod subnet's alarm fires when less than this share of its usable IPs is free.
    min_free_percent: float = Field(default=20, gt=0, lt=100)
    #: SNS topic the alarms notify (ALARM and OK); none: the alarms only change state.
    topic_arn: str | None = None


class PipelineConfig(_Settings):
    """The CodePipeline that deploys the environments wave by wave (see podnet.config.environments)."""

    #: GitHub/Bitbucket/GitLab ``owner/name`` reached through a CodeConnections connection.
    repository: str
    branch: str = "main"
    connection_arn: str
    account: str
    region: str
    #: Waves in deployment order; the environments of one wave deploy in parallel.
    waves: tuple[tuple[str, ...], ...] = Field(min_length=1)
    #: Environments whose deployment waits for a manual approval (after their change sets exist).
    approval_before: tuple[str, ...] = ()
    #: SNS topic (in the pipeline's account and region) that tells approvers a change set awaits them; required
    #: with ``approvalBefore``.
    approval_topic_arn: str | None = None


class ExistingSubnet(_Settings):
    """A node subnet of an existing VPC and the route table it uses (its zone's pod subnet joins that table)."""

    subnet_id: str
    route_table_id: str


class ExistingVpcConfig(_Settings):
    """A VPC podnet does not own: podnet adds ``podCidr`` and the pod subnets to it, nothing else.

    Literal values only: synth looks nothing up, so the VPC's current blocks come from the configuration.
    """

    vpc_id: str
    #: The VPC's IPv4 blocks today, primary first: ``podCidr`` is checked against every one of them.
    cidr_blocks: tuple[IPv4Network, ...] = Field(min_length=1)
    #: AZ name -> the private subnet the nodes and the control plane's ENIs go in.
    node_subnets: dict[str, ExistingSubnet]


AuthenticationMode = Literal["API_AND_CONFIG_MAP", "API"]
#: How pods find their subnets: ENIConfigs per zone (custom networking), or the VPC CNI's subnet discovery of
#: subnets tagged ``kubernetes.io/role/cni=1`` for this cluster, the node subnets tagged ``=0``.
PodNetworking = Literal["custom-networking", "subnet-discovery"]


class CniConfig(_Settings):
    """The VPC CNI (EKS managed add-on ``vpc-cni``) podnet installs and configures."""

    #: Add-on version (``v1.22.4-eksbuild.3``). None: the version podnet pins for ``kubernetesVersion``
    #: (podnet.config.vpc_cni_versions).
    version: str | None = None
    #: WARM_IP_TARGET: free IPs each node keeps ready. None: not set (WARM_ENI_TARGET, or the prefix target, rules).
    warm_ip_target: int | None = Field(default=None, ge=1)
    #: MINIMUM_IP_TARGET: IPs each node holds at least, pods or not. None: not set.
    minimum_ip_target: int | None = Field(default=None, ge=1)
    #: WARM_PREFIX_TARGET (prefix delegation only): free /28 prefixes each node keeps. None: podnet's 1.
    warm_prefix_target: int | None = Field(default=None, ge=1)


class PodnetConfig(_Settings):
    """Everything a podnet deployment is made from."""

    cluster_name: str = "podnet"
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    region: str = "us-east-1"
    account: str | None = None
    availability_zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")
    #: /20: 3 zones give /22 node subnets (1,019 addresses each) and /24 public ones; see docs/pod-network.md.
    vpc_cidr: IPv4Network = IPv4Network("10.0.0.0/20")
    pod_cidr: IPv4Network = IPv4Network("100.64.0.0/16")
    #: More secondary blocks for pods, to grow beyond podCidr; pod subnets go in them through ``podSubnets``.
    additional_pod_cidrs: tuple[IPv4Network, ...] = ()
    #: AZ -> CIDR inside podCidr or an additional block. None: podCidr is carved into equal blocks, one per AZ.
    pod_subnets: dict[str, IPv4Network] | None = None
    service_cidr: IPv4Network = IPv4Network("172.20.0.0/16")
    #: None: one NAT gateway per AZ, so an AZ outage does not cut the others' egress.
    nat_gateways: int | None = Field(default=None, ge=0)
    endpoint_access: Literal["private", "public-and-private", "public"] = "private"
    public_access_cidrs: tuple[IPv4Network, ...] = ()
    admin_role_arns: tuple[str, ...] = ()
    max_pods_cap: int = Field(default=110, ge=1)
    prefix_delegation: bool = False
    nodes: NodesConfig = NodesConfig()
    system_nodes: SystemNodesConfig = SystemNodesConfig()
    #: None: podnet creates the VPC from vpcCidr. Set: podnet adds podCidr to this VPC instead.
    existing_vpc: ExistingVpcConfig | None = None
    #: How nodes and people get into the cluster: API_AND_CONFIG_MAP honours the aws-auth ConfigMap (podnet
    #: writes it for the nodes); API uses access entries only (the nodes get an EC2_LINUX entry).
    authentication_mode: AuthenticationMode = "API_AND_CONFIG_MAP"
    #: Pod-subnet free-IP metrics and alarms.
    ip_alarms: IpAlarmsConfig = IpAlarmsConfig()
    #: The VPC CNI add-on: its version and warm pool.
    cni: CniConfig = CniConfig()
    #: custom-networking (ENIConfigs) or subnet-discovery (tagged subnets; additionalPodCidrs grow it without a
    #: node roll).
    pod_networking: PodNetworking = "custom-networking"
    #: Environment name -> raw overrides of the settings above (merged onto them, then validated alike).
    environments: dict[str, dict[str, Any]] | None = None
    pipeline: PipelineConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _zones_default_to_node_subnets(cls, data: Any) -> Any:
        """With existingVpc and no availabilityZones, the zones are those of ``existingVpc.nodeSubnets``."""
        if not isinstance(data, dict) or "availabilityZones" in data or "availability_zones" in data:
            return data
        existing = data.get("existingVpc", data.get("existing_vpc"))
        if isinstance(existing, ExistingVpcConfig):
            return {**data, "availabilityZones": list(existing.node_subnets)}
        if isinstance(existing, dict):
            node_subnets = existing.get("nodeSubnets", existing.get("node_subnets"))
            if isinstance(node_subnets, dict):
                return {**data, "availabilityZones": list(node_subnets)}
        return data

    @property
    def pod_cidrs(self) -> tuple[IPv4Network, ...]:
        """Every secondary block podnet associates for pods: podCidr first, then additionalPodCidrs."""
        return (self.pod_cidr, *self.additional_pod_cidrs)

    @property
    def pod_subnet_cidrs(self) -> dict[str, IPv4Network]:
        """AZ -> pod subnet: the explicit ``podSubnets`` or the default carving of ``podCidr``."""
        return carve_pod_subnets(self.pod_cidr, self.availability_zones, self.pod_subnets)

    @property
    def max_pods_mode(self) -> MaxPodsMode:
        """How the nodes hand out pod addresses: custom networking always on, the rest from the settings."""
        return MaxPodsMode(custom_networking=True, prefix_delegation=self.prefix_delegation, cap=self.max_pods_cap)

    @property
    def node_availability_zones(self) -> tuple[str, ...]:
        """AZs that get nodes: those with a pod subnet, in configuration order."""
        pods = self.pod_subnet_cidrs
        return tuple(az for az in self.availability_zones if az in pods)

    @property
    def node_group_sizes(self) -> dict[str, GroupSizes]:
        """Node zone -> the sizes of its Auto Scaling group: the ``nodes`` totals spread over the node zones."""
        nodes = self.nodes
        return zone_group_sizes(
            self.node_availability_zones,
            min_size=nodes.min_size,
            desired_size=nodes.desired_size,
            max_size=nodes.max_size,
            on_demand_base_capacity=nodes.on_demand_base_capacity,
        )

    @property
    def node_ami_release(self) -> str:
        """The AL2023 AMI release of the nodes: ``nodes.amiReleaseVersion``, else podnet's pinned release."""
        arch = architecture(self.nodes.instance_types[0])
        return ami_release(self.kubernetes_version, arch, self.nodes.ami_release_version)

    @property
    def system_node_ami_release(self) -> str:
        """The AL2023 AMI release of the system nodes (their own architecture, the same setting)."""
        arch = architecture(self.system_nodes.instance_types[0])
        return ami_release(self.kubernetes_version, arch, self.nodes.ami_release_version)

    @property
    def node_roll(self) -> RollSettings:
        """How every node group (system and spot) rolls: one after another, each in batches of the cluster-wide
        budget (counted at the most nodes the cluster may have: nodes.maxSize plus the system nodes), each
        replacement counted once its node is Ready."""
        cluster_nodes = self.nodes.max_size + self.system_nodes.size
        return RollSettings(
            batch_size=roll_budget(cluster_nodes, self.nodes.max_unavailable_percent),
            groups_in_sequence=True,
            wait_for_ready=True,
            pause_seconds=READY_SIGNAL_TIMEOUT_SECONDS,
        )

    @property
    def node_roll_estimate(self) -> RollEstimate:
        """A full roll of every group at its maxSize, in the order they roll (system groups first), with typical
        drain and launch-to-Ready times."""
        groups = [sizes.max_size for sizes in [*self.system_group_sizes.values(), *self.node_group_sizes.values()]]
        return estimate_roll(groups, self.node_roll, RollTimings())

    @property
    def node_max_pods(self) -> int:
        """Pods every node can run, whichever of ``nodes.instanceTypes`` it is (types must be validated)."""
        return self._max_pods(self.nodes.instance_types)

    @property
    def system_group_sizes(self) -> dict[str, GroupSizes]:
        """Node zone -> the fixed, all on-demand size of its system group: ``systemNodes.size`` spread over the
        node zones; a zone whose share is zero gets no group."""
        size = self.system_nodes.size
        return zone_group_sizes(
            self.node_availability_zones,
            min_size=size,
            desired_size=size,
            max_size=size,
            on_demand_base_capacity=size,
        )

    @property
    def system_node_max_pods(self) -> int:
        """Pods every system node can run (types must be validated)."""
        return self._max_pods(self.system_nodes.instance_types)

    @property
    def pod_eni_primary_ips(self) -> dict[str, int]:
        """Node zone -> primary IPs its pod ENIs may take with every node group at its max: each ENI but a node's
        primary one sits in the pod subnet, counted for the type with most ENIs (types must be validated)."""
        spot_enis = max(limits.enis for limits in self._limits(self.nodes.instance_types)) - 1
        system_enis = max(limits.enis for limits in self._limits(self.system_nodes.instance_types)) - 1
        spot, system = self.node_group_sizes, self.system_group_sizes
        return {
            zone: (spot[zone].max_size * spot_enis if zone in spot else 0)
            + (system[zone].max_size * system_enis if zone in system else 0)
            for zone in self.node_availability_zones
        }

    @property
    def discovery_subnet_cidrs(self) -> dict[str, tuple[IPv4Network, ...]]:
        """Node zone -> its pod subnets beyond the first: with subnet discovery, each ``additionalPodCidrs`` block
        split equally over the node zones (one more subnet per zone per block); none with custom networking."""
        zones = self.node_availability_zones
        if self.pod_networking != "subnet-discovery" or not zones:
            return {}
        carved = [equal_blocks(block, len(zones)) for block in self.additional_pod_cidrs]
        return {zone: tuple(blocks[index] for blocks in carved) for index, zone in enumerate(zones)}

    @property
    def zone_pod_subnet_cidrs(self) -> dict[str, tuple[IPv4Network, ...]]:
        """Zone -> every pod subnet it has: the first (``podSubnets`` or the carving of ``podCidr``), then the
        discovered ones."""
        more = self.discovery_subnet_cidrs
        return {zone: (cidr, *more.get(zone, ())) for zone, cidr in self.pod_subnet_cidrs.items()}

    @property
    def pod_subnet_ips(self) -> dict[str, int]:
        """Zone -> addresses pods can get in its pod subnets (with prefix delegation, whole reserved /28s)."""
        delegation = self.prefix_delegation
        return {
            zone: sum(pod_ips(cidr, prefix_delegation=delegation) for cidr in cidrs)
            for zone, cidrs in self.zone_pod_subnet_cidrs.items()
        }

    @property
    def pod_subnet_prefix_reservations(self) -> dict[IPv4Network, list[IPv4Network]]:
        """Pod subnet -> its CIDRs reserved for /28 prefixes: none without prefix delegation."""
        if not self.prefix_delegation:
            return {}
        return {cidr: prefix_reservation(cidr) for cidrs in self.zone_pod_subnet_cidrs.values() for cidr in cidrs}

    def _max_pods(self, instance_types: tuple[str, ...]) -> int:
        return smallest_max_pods(self._limits(instance_types), self.max_pods_mode)

    @staticmethod
    def _limits(instance_types: tuple[str, ...]) -> list[EniLimits]:
        limits: list[EniLimits] = []
        for instance_type in instance_types:
            found = lookup(instance_type)
            if found is None:
                raise ValueError(f"unknown instance type {instance_type}: validate the configuration first")
            limits.append(found)
        return limits

    @property
    def vpc_cni_version(self) -> str:
        """The vpc-cni add-on version: ``cni.version``, else podnet's pin for the Kubernetes version."""
        return self.cni.version or pinned_vpc_cni_version(self.kubernetes_version)

    @property
    def aws_node_env(self) -> dict[str, str]:
        """The aws-node env podnet sets (the patch and the add-on's configuration both carry it)."""
        return aws_node_env(
            prefix_delegation=self.prefix_delegation,
            subnet_discovery=self.pod_networking == "subnet-discovery",
            cluster_name=self.cluster_name,
            warm_ip_target=self.cni.warm_ip_target,
            minimum_ip_target=self.cni.minimum_ip_target,
            warm_prefix_target=self.cni.warm_prefix_target,
        )

    @property
    def warm_pool_ips(self) -> int:
        """IPs the VPC CNI's warm pool may hold on one node beyond its pods (the type with most IPs per ENI)."""
        return warm_pool_ips(
            ips_per_eni=max(limits.ips_per_eni for limits in self._limits(self.nodes.instance_types)),
            prefix_delegation=self.prefix_delegation,
            warm_ip_target=self.cni.warm_ip_target,
            minimum_ip_target=self.cni.minimum_ip_target,
            warm_prefix_target=self.cni.warm_prefix_target or DEFAULT_WARM_PREFIX_TARGET,
        )
