"""The node role and the AL2023 launch template that every zone's spot group launches from.

One template for all groups: a change of AMI, user data or CNI settings rolls every zone alike, and the node
role (mapped in aws-auth) is the same for all nodes.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.constructs.nodeadm_user_data import node_config, nodeadm_user_data, ready_signal_part
from podnet.ipplan.ami_releases import release_image_parameter
from podnet.ipplan.node_rolls import READY_SIGNAL_MARGIN_SECONDS, READY_SIGNAL_TIMEOUT_SECONDS
from podnet.nag import acknowledge, managed_policy

#: No AmazonEKS_CNI_Policy: aws-node gets it through Pod Identity (podnet/constructs/aws_node_pod_identity.py).
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)
ROOT_VOLUME_GIB = 50


@dataclass(frozen=True)
class NodeTemplateSettings:
    """What every node template of a cluster shares (the spot nodes' and the system nodes'): the cluster its nodes
    join, the kubelet's max pods and the CNI settings whose change rolls the nodes."""

    cluster: eks.Cluster
    cluster_name: str
    kubernetes_version: str
    service_cidr: str
    max_pods_expression: str
    cni_fingerprint: str


class NodeLaunchTemplate(Construct):
    """Node role + launch template: IMDSv2 (hop limit 1), encrypted gp3 root volume, no SSH key, nodeadm user data."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NodeTemplateSettings,
        arch: str,
        ami_release: str,
        role: iam.IRole | None = None,
        kubelet_flags: Sequence[str] = (),
    ) -> None:
        """``role``: another template's node role, so all nodes share one (and one aws-auth mapping / access entry);
        None creates it. ``kubelet_flags``: node labels and taints of this template's nodes."""
        super().__init__(scope, construct_id)
        cluster, cluster_name = settings.cluster, settings.cluster_name
        self.role = role if role is not None else self._node_role()
        user_data = nodeadm_user_data(
            node_config(
                cluster_name=cluster_name,
                api_server_endpoint=cluster.cluster_endpoint,
                certificate_authority=cluster.cluster_certificate_authority_data,
                service_cidr=settings.service_cidr,
                max_pods=settings.max_pods_expression,
                kubelet_flags=kubelet_flags,
            ),
            ready_signal=ready_signal_part(
                cluster_name=cluster_name,
                api_server_endpoint=cluster.cluster_endpoint,
                wait_seconds=READY_SIGNAL_TIMEOUT_SECONDS - READY_SIGNAL_MARGIN_SECONDS,
            ),
        )
        # The Ready signal: a node may signal resources of this stack only (its ARN is the stack id). aws-cdk-lib grants
        # the same to a group with a creation policy; a group starting at 0 nodes has none, but rolls all the same.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["cloudformation:SignalResource"], resources=[Aws.STACK_ID])
        )
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=ec2.MachineImage.from_ssm_parameter(
                release_image_parameter(settings.kubernetes_version, arch, ami_release)
            ),
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
        Tags.of(self.launch_template).add("podnet:cni-settings", settings.cni_fingerprint)

    def _node_role(self) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in NODE_MANAGED_POLICIES],
        )
        acknowledge(
            role,
            "the node role policies EKS documents for self-managed nodes (kubelet, Pod Identity agent, image pulls, SSM"
            " instead of SSH); AWS keeps them current with the services",
            *(managed_policy(name) for name in NODE_MANAGED_POLICIES),
        )
        return role
