"""ClusterStack: the EKS control plane, custom networking (pod CIDR and subnets included), and the spot nodes that
join only after it."""

import hashlib
import json
from typing import Any, cast

import cdk8s
from aws_cdk import Aspects, CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk.lambda_layer_kubectl_v35 import KubectlV35Layer
from constructs import Construct

from podnet.charts.aws_auth_chart import AwsAuthChart
from podnet.charts.eni_config_chart import EniConfigChart
from podnet.config.model import PodnetConfig
from podnet.constructs.aws_node_custom_networking import AwsNodeCustomNetworking, custom_networking_env
from podnet.constructs.kubectl_log_groups_first import KubectlLogGroupsFirst
from podnet.constructs.pod_subnets import PodSubnets
from podnet.constructs.spot_node_group import SpotNodeGroup
from podnet.ipplan.architecture import architecture
from podnet.ipplan.max_pods import max_pods_expression
from podnet.nag import acknowledge, iam5, managed_policy, rule
from podnet.stacks.network_stack import NetworkStack

ENDPOINT_ACCESS = {
    "private": eks.EndpointAccess.PRIVATE,
    "public-and-private": eks.EndpointAccess.PUBLIC_AND_PRIVATE,
    "public": eks.EndpointAccess.PUBLIC,
}
ALL_LOG_TYPES = [
    eks.ClusterLoggingTypes.API,
    eks.ClusterLoggingTypes.AUDIT,
    eks.ClusterLoggingTypes.AUTHENTICATOR,
    eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    eks.ClusterLoggingTypes.SCHEDULER,
]
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


class ClusterStack(Stack):
    """EKS (native AWS::EKS::Cluster) whose nodes start only once aws-node, ENIConfigs and aws-auth are in."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: PodnetConfig, network: NetworkStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        node_zones = config.node_availability_zones
        control_plane_subnets = list(network.node_subnets.values())
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=config.cluster_name,
            version=eks.KubernetesVersion.of(config.kubernetes_version),
            vpc=network.vpc,
            vpc_subnets=[ec2.SubnetSelection(subnets=control_plane_subnets)],
            default_capacity=0,
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            bootstrap_cluster_creator_admin_permissions=False,
            endpoint_access=self._endpoint_access(config),
            cluster_logging=ALL_LOG_TYPES,
            secrets_encryption_key=kms.Key(
                self, "SecretsKey", enable_key_rotation=True, description=f"{config.cluster_name} Kubernetes secrets"
            ),
            service_ipv4_cidr=str(config.service_cidr),
            output_config_command=False,
            kubectl_provider_options=eks.KubectlProviderOptions(
                kubectl_layer=KubectlV35Layer(self, "KubectlLayer"),
                # A private endpoint is reachable only from the VPC: run kubectl there.
                private_subnets=control_plane_subnets if config.endpoint_access == "private" else None,
            ),
        )
        # aws_eks_v2 hard-codes authentication mode API, which would ignore the aws-auth ConfigMap.
        cfn_cluster = self.cluster.node.default_child
        assert isinstance(cfn_cluster, eks.CfnCluster)
        cfn_cluster.add_property_override("AccessConfig.AuthenticationMode", "API_AND_CONFIG_MAP")
        self._acknowledge_eks_findings()
        Aspects.of(self).add(KubectlLogGroupsFirst(self.cluster.node.find_child("KubectlProvider")))
        for index, role_arn in enumerate(config.admin_role_arns):
            self.cluster.grant_access(
                f"Admin{index}",
                role_arn,
                [
                    eks.AccessPolicy.from_access_policy_name(
                        CLUSTER_ADMIN_POLICY, access_scope_type=eks.AccessScopeType.CLUSTER
                    )
                ],
            )

        cluster_security_group = self.cluster.cluster_security_group
        self.pod_subnets = PodSubnets(
            self,
            "PodSubnets",
            vpc=network.vpc,
            pod_cidrs=config.pod_cidrs,
            subnet_cidrs=config.pod_subnet_cidrs,
            node_subnets=network.node_subnets,
            cluster_name=config.cluster_name,
        )
        pod_subnets = self.pod_subnets.subnets
        charts = cdk8s.App()
        eni_configs = self._apply_chart(
            "EniConfigs",
            EniConfigChart(
                charts,
                "eni-configs",
                subnet_ids={zone: pod_subnets[zone].attr_subnet_id for zone in node_zones},
                security_group_ids=[cluster_security_group.security_group_id],
            ),
        )
        aws_node = AwsNodeCustomNetworking(
            self, "AwsNodeCustomNetworking", cluster=self.cluster, prefix_delegation=config.prefix_delegation
        )
        self.nodes = SpotNodeGroup(
            self,
            "SpotNodes",
            cluster=self.cluster,
            cluster_name=config.cluster_name,
            nodes=config.nodes,
            subnets=[network.node_subnets[zone] for zone in node_zones],
            kubernetes_version=config.kubernetes_version,
            arch=architecture(config.nodes.instance_types[0]),
            service_cidr=str(config.service_cidr),
            max_pods_expression=max_pods_expression(config.max_pods_mode),
            cni_fingerprint=self._cni_fingerprint(config),
        )
        aws_auth = self._apply_chart(
            "AwsAuth", AwsAuthChart(charts, "aws-auth", node_role_arn=self.nodes.role.role_arn)
        )
        # The point of podnet: no node joins before custom networking is complete, so none needs recycling.
        self.nodes.auto_scaling_group.node.add_dependency(aws_node.patch, eni_configs, aws_auth)

        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        CfnOutput(
            self,
            "UpdateKubeconfigCommand",
            value=f"aws eks update-kubeconfig --region {self.region} --name {config.cluster_name}",
        )
        for zone in node_zones:
            CfnOutput(
                self,
                f"PodSubnet{zone.replace('-', '')}",
                value=pod_subnets[zone].attr_subnet_id,
                description=f"Pod subnet of {zone}",
            )
        #: The deployed pod network: what scripts/verify_custom_networking.py checks a cluster against, and what
        #: ``podnet plan --deployed`` compares a changed configuration with.
        self.custom_networking = CfnOutput(
            self,
            "CustomNetworking",
            value=self.to_json_string(
                {
                    "availabilityZones": list(config.availability_zones),
                    "podCidr": str(config.pod_cidr),
                    "podCidrs": [str(block) for block in config.pod_cidrs],
                    "podSubnets": {
                        zone: {"subnetId": pod_subnets[zone].attr_subnet_id, "cidr": str(config.pod_subnet_cidrs[zone])}
                        for zone in node_zones
                    },
                }
            ),
            description="Deployed pod network, for scripts/verify_custom_networking.py and podnet plan --deployed",
        )

    def _acknowledge_eks_findings(self) -> None:
        """Accept what AWS itself requires of an EKS cluster and what aws-cdk-lib generates for kubectl."""
        acknowledge(
            self.cluster.role,
            "EKS requires AmazonEKSClusterPolicy on the cluster role (AWS maintains it with the service)",
            managed_policy("AmazonEKSClusterPolicy"),
        )
        acknowledge(
            self.cluster.node.find_child("KubectlProvider"),
            "aws-cdk-lib's kubectl provider (Lambda in the VPC, ECR pulls of Helm charts): AWS managed policies"
            " are the documented minimum for a VPC Lambda; it runs only during deployments",
            managed_policy("service-role/AWSLambdaBasicExecutionRole"),
            managed_policy("service-role/AWSLambdaVPCAccessExecutionRole"),
            managed_policy("AmazonEC2ContainerRegistryReadOnly"),
            rule(
                'IAM4[Policy::{"Fn::If":["ClusterKubectlProviderHandlerHasEcrPublic69E09706",{"Fn::Join":["",'
                '["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},'
                '{"Ref":"AWS::NoValue"}]}]'
            ),
            *iam5("Resource::<ClusterKubectlProviderHandler2E05C68A.Arn>:*"),
            rule("L1"),
        )

    def _apply_chart(self, construct_id: str, chart: cdk8s.Chart) -> eks.KubernetesManifest:
        """Like ``Cluster.add_cdk8s_chart`` (same construct path, so the same logical id), but with overwrite:
        Create runs ``kubectl apply`` instead of ``kubectl create``, which fails if the objects already exist."""
        return eks.KubernetesManifest(
            self.cluster,
            construct_id,
            # jsii's Python typing of Cluster lacks ICluster.kubectl_provider_options; the object has it.
            cluster=cast(eks.ICluster, self.cluster),
            manifest=chart.to_json(),
            overwrite=True,
        )

    @staticmethod
    def _endpoint_access(config: PodnetConfig) -> eks.EndpointAccess:
        access = ENDPOINT_ACCESS[config.endpoint_access]
        if config.public_access_cidrs and config.endpoint_access != "private":
            return access.only_from(*(str(cidr) for cidr in config.public_access_cidrs))
        return access

    @staticmethod
    def _cni_fingerprint(config: PodnetConfig) -> str:
        """Short digest of what the nodes' pod ENIs depend on; it changes exactly when nodes must roll."""
        settings = {
            "podSubnets": {zone: str(cidr) for zone, cidr in config.pod_subnet_cidrs.items()},
            "env": custom_networking_env(prefix_delegation=config.prefix_delegation),
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
