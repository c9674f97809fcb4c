"""NetworkStack: the VPC podnet builds (primary CIDR for nodes and control plane). The pod CIDR and subnets live in
the cluster stack, next to the ENIConfigs and nodes that use them (see PodSubnets); with ``existingVpc`` there is no
network stack at all (see ClusterStack)."""

from typing import Any

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from podnet.config.model import PodnetConfig
from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.constructs.planned_ip_addresses import PlannedIpAddresses
from podnet.ipplan.carving import carve_node_subnets
from podnet.nag import acknowledge, skip_checkov


class NetworkStack(Stack):
    """VPC with public subnets (NAT, internet-facing load balancers) and private node subnets."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PodnetConfig, **kwargs: Any) -> None:
        self._zones = list(config.availability_zones)
        super().__init__(scope, construct_id, **kwargs)
        self.vpc: ec2.IVpc
        #: AZ name -> private node subnet.
        self.node_subnets: dict[str, ec2.ISubnet]
        self.vpc, self.node_subnets = self._new_vpc(config)
        acknowledge(
            self,
            "availabilityZones are explicit settings so synth needs no AWS lookup; validation checks them against"
            " the region",
            "CloudFormation-Validate::W3010",
        )
        skip_checkov(
            self,
            "AWS::Lambda::Function",
            "aws-cdk-lib's provider that removes the default security group's rules: it runs once per deploy, called"
            " by CloudFormation, on AWS APIs only (no VPC access needed), and a failure fails the deploy",
            "CKV_AWS_115",
            "CKV_AWS_116",
            "CKV_AWS_117",
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
            if config.pod_networking == "subnet-discovery":
                # The VPC CNI's subnet discovery never puts a pod ENI in a subnet tagged 0, the node's own included
                # (v1.22.4 pkg/awsutils/awsutils.go, isSubnetValidForENICreation): pods never take routable IPs.
                Tags.of(subnet).add("kubernetes.io/role/cni", "0")
        # The cluster stack's pod subnets use their zone's node route table. Export every zone's, whichever zones
        # have pod subnets: giving a zone a pod subnet or taking it away must not add or remove an export
        # (CloudFormation refuses to delete an export the not-yet-updated cluster stack still imports).
        for subnet in vpc.private_subnets:
            self.export_value(subnet.route_table.route_table_id)
        return vpc, {subnet.availability_zone: subnet for subnet in vpc.private_subnets}

    @property
    def availability_zones(self) -> list[str]:
        """The configured zones: with an explicit account, ec2.Vpc would otherwise look them up (credentials)."""
        return self._zones
