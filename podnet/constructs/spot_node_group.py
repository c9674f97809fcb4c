"""Self-managed spot nodes on Amazon Linux 2023, joined through nodeadm.

Built by hand: ``connect_auto_scaling_group_capacity`` rejects an Auto Scaling group with a mixed instances
policy, and neither EKS module renders AL2023 (nodeadm) user data.
"""

from collections.abc import Sequence

from aws_cdk import Annotations, Duration, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.config.model import NodesConfig
from podnet.constructs.nodeadm_user_data import node_config, nodeadm_user_data

NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)
ROOT_VOLUME_GIB = 50


def al2023_ami_parameter(kubernetes_version: str, arch: str) -> str:
    """The SSM parameter EKS publishes the recommended AL2023 AMI under (resolved at deploy, not synth)."""
    return f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/{arch}/standard/recommended/image_id"


def rolling_update_min_in_service(min_size: int, max_size: int) -> int:
    """Nodes kept in service while a rolling update replaces the others: minSize, but below maxSize, which
    CloudFormation requires (with minSize = maxSize the first node roll would fail)."""
    return min(min_size, max_size - 1)


class SpotNodeGroup(Construct):
    """Launch template + Auto Scaling group with a price-capacity-optimized, diversified spot pool."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        cluster_name: str,
        nodes: NodesConfig,
        subnets: Sequence[ec2.ISubnet],
        kubernetes_version: str,
        arch: str,
        service_cidr: str,
        max_pods_expression: str,
        cni_fingerprint: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in NODE_MANAGED_POLICIES],
        )
        user_data = nodeadm_user_data(
            node_config(
                cluster_name=cluster_name,
                api_server_endpoint=cluster.cluster_endpoint,
                certificate_authority=cluster.cluster_certificate_authority_data,
                service_cidr=service_cidr,
                max_pods=max_pods_expression,
            )
        )
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=ec2.MachineImage.from_ssm_parameter(al2023_ami_parameter(kubernetes_version, arch)),
            user_data=user_data,
            role=self.role,
            security_group=cluster.cluster_security_group,
            require_imdsv2=True,
            http_put_response_hop_limit=1,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GIB, volume_type=ec2.EbsDeviceVolumeType.GP3, encrypted=True
                    ),
                )
            ],
        )
        # A change of pod subnets or CNI settings changes the template, so the rolling update replaces
        # every node: only new ENIs read the ENIConfig.
        Tags.of(self.launch_template).add("podnet:cni-settings", cni_fingerprint)
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Nodes",
            vpc=cluster.vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=list(subnets)),
            min_capacity=nodes.min_size,
            desired_capacity=nodes.desired_size,
            max_capacity=nodes.max_size,
            capacity_rebalance=True,
            mixed_instances_policy=autoscaling.MixedInstancesPolicy(
                launch_template=self.launch_template,
                instances_distribution=autoscaling.InstancesDistribution(
                    on_demand_base_capacity=nodes.on_demand_base_capacity,
                    on_demand_percentage_above_base_capacity=0,
                    spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
                ),
                launch_template_overrides=[
                    autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(instance_type))
                    for instance_type in nodes.instance_types
                ],
            ),
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                max_batch_size=1,
                min_instances_in_service=rolling_update_min_in_service(nodes.min_size, nodes.max_size),
                pause_time=Duration.minutes(5),
            ),
        )
        Annotations.of(self.auto_scaling_group).acknowledge_warning(
            "@aws-cdk/aws-autoscaling:desiredCapacitySet",
            "nodes.desiredSize is the group's size by design; podnet installs no cluster autoscaler",
        )
        Tags.of(self.auto_scaling_group).add(f"kubernetes.io/cluster/{cluster_name}", "owned")
