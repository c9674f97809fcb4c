"""NetworkStack: the VPC (primary CIDR for nodes and control plane) and the secondary CIDR for pods."""

from typing import Any

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from podnet.config.model import PodnetConfig
from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.constructs.planned_ip_addresses import PlannedIpAddresses
from podnet.constructs.pod_subnets import PodSubnets
from podnet.ipplan.carving import carve_node_subnets


class NetworkStack(Stack):
    """VPC with public subnets (NAT, internet-facing load balancers), private node subnets and pod subnets."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PodnetConfig, **kwargs: Any) -> None:
        self._zones = list(config.availability_zones)
        super().__init__(scope, construct_id, **kwargs)
        zones = config.availability_zones
        self.vpc = ec2.Vpc(
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
        self.vpc.add_flow_log(
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
        for subnet in self.vpc.public_subnets:
            Tags.of(subnet).add("kubernetes.io/role/elb", "1")
        for subnet in self.vpc.private_subnets:
            Tags.of(subnet).add("kubernetes.io/role/internal-elb", "1")
        #: AZ name -> private node subnet.
        self.node_subnets: dict[str, ec2.ISubnet] = {s.availability_zone: s for s in self.vpc.private_subnets}
        self.pod_subnets = PodSubnets(
            self,
            "PodSubnets",
            vpc=self.vpc,
            pod_cidr=config.pod_cidr,
            subnet_cidrs=config.pod_subnet_cidrs,
            node_subnets=self.node_subnets,
            cluster_name=config.cluster_name,
        )

    @property
    def availability_zones(self) -> list[str]:
        """The configured zones: with an explicit account, ec2.Vpc would otherwise look them up (credentials)."""
        return self._zones
