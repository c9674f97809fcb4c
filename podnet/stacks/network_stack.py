"""NetworkStack: the VPC (primary CIDR for nodes and control plane) and the secondary CIDR for pods."""

from typing import Any

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from podnet.config.model import PodnetConfig
from podnet.constructs.existing_vpc import ExistingVpc
from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.constructs.planned_ip_addresses import PlannedIpAddresses
from podnet.constructs.pod_subnets import PodSubnets
from podnet.constructs.teardown_cleanup import TeardownCleanup
from podnet.ipplan.carving import carve_node_subnets
from podnet.nag import acknowledge


class NetworkStack(Stack):
    """The VPC and its node subnets (built here, or an existing VPC's), the secondary CIDR and the pod subnets."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PodnetConfig, **kwargs: Any) -> None:
        self._zones = list(config.availability_zones)
        super().__init__(scope, construct_id, **kwargs)
        # Both modes give the same two things, so the ClusterStack does not know which one it got.
        self.vpc: ec2.IVpc
        #: AZ name -> private node subnet.
        self.node_subnets: dict[str, ec2.ISubnet]
        if config.existing_vpc is None:
            self.vpc, self.node_subnets = self._new_vpc(config)
        else:
            existing = ExistingVpc(self, "ExistingVpc", existing=config.existing_vpc)
            self.vpc, self.node_subnets = existing.vpc, existing.node_subnets
        self.pod_subnets = PodSubnets(
            self,
            "PodSubnets",
            vpc=self.vpc,
            pod_cidr=config.pod_cidr,
            subnet_cidrs=config.pod_subnet_cidrs,
            node_subnets=self.node_subnets,
            cluster_name=config.cluster_name,
        )
        TeardownCleanup(
            self,
            "TeardownCleanup",
            vpc=self.vpc,
            pod_subnets=list(self.pod_subnets.subnets.values()),
            cluster_name=config.cluster_name,
        )
        acknowledge(
            self,
            "availabilityZones are explicit settings so synth needs no AWS lookup; validation checks them against"
            " the region",
            "CloudFormation-Validate::W3010",
        )

    def _new_vpc(self, config: PodnetConfig) -> tuple[ec2.IVpc, dict[str, ec2.ISubnet]]:
        """VPC from vpcCidr: public subnets (NAT, internet-facing load balancers) and private node subnets."""
        zones = config.availability_zones
        vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=PlannedIpAddresses(config.vpc_cidr, carve_node_subnets(config.vpc_cidr, zones)),
            availability_zones=list(zones),
            nat_gateways=len(zones) if config.nat_gateways is None else config.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(name="Nodes", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ],
            restrict_default_security_group=True,
        )
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(
                    self,
                    "FlowLogGroup",
                    retention=logs.RetentionDays.ONE_YEAR,
                    encryption_key=LogEncryptionKey.of(self).key,
                )
            ),
        )
        for subnet in vpc.public_subnets:
            Tags.of(subnet).add("kubernetes.io/role/elb", "1")
        for subnet in vpc.private_subnets:
            Tags.of(subnet).add("kubernetes.io/role/internal-elb", "1")
        return vpc, {subnet.availability_zone: subnet for subnet in vpc.private_subnets}

    @property
    def availability_zones(self) -> list[str]:
        """The configured zones: with an explicit account, ec2.Vpc would otherwise look them up (credentials)."""
        return self._zones
