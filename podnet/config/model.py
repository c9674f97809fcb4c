"""Typed settings with their defaults. Keys are camelCase in cdk.json and config files."""

from ipaddress import IPv4Network
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from podnet.ipplan.carving import carve_pod_subnets
from podnet.ipplan.eni_limits import EniLimits, lookup
from podnet.ipplan.max_pods import MaxPodsMode, smallest_max_pods
from podnet.ipplan.node_groups import GroupSizes, zone_group_sizes

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
    #: EKS AL2023 AMI release to pin (``v20260827``). None: the release EKS currently recommends, resolved on
    #: every deploy, so the first deploy after an AMI release replaces every node.
    ami_release_version: str | None = None


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
    #: Environments whose deployment waits for a manual approval.
    approval_before: tuple[str, ...] = ()


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


class PodnetConfig(_Settings):
    """Everything a podnet deployment is made from."""

    cluster_name: str = "podnet"
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    region: str = "us-east-1"
    account: str | None = None
    availability_zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")
    vpc_cidr: IPv4Network = IPv4Network("10.0.0.0/16")
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

    def _max_pods(self, instance_types: tuple[str, ...]) -> int:
        limits: list[EniLimits] = []
        for instance_type in instance_types:
            found = lookup(instance_type)
            if found is None:
                raise ValueError(f"unknown instance type {instance_type}: validate the configuration first")
            limits.append(found)
        return smallest_max_pods(limits, self.max_pods_mode)
