"""ClusterStack: the EKS control plane, custom networking (pod CIDR and subnets included), and the spot nodes that
join only after it."""

import hashlib
import json
from typing import Any

import cdk8s
from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk.lambda_layer_kubectl_v36 import KubectlV36Layer
from constructs import Construct

from podnet.charts.eni_config_chart import EniConfigChart
from podnet.config.model import PodnetConfig
from podnet.constructs.aws_node_custom_networking import AwsNodeCustomNetworking
from podnet.constructs.aws_node_pod_identity import AwsNodePodIdentity
from podnet.constructs.cluster_autoscaler import ClusterAutoscaler
from podnet.constructs.core_dns import CoreDns
from podnet.constructs.existing_vpc import ExistingVpc
from podnet.constructs.kubectl_log_groups_first import KubectlLogGroupsFirst
from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.constructs.node_access import NodeAccess
from podnet.constructs.node_launch_template import NodeLaunchTemplate, NodeTemplateSettings
from podnet.constructs.node_termination_handler import NodeTerminationHandler
from podnet.constructs.overwriting_chart import apply_chart
from podnet.constructs.pod_identity_agent_version import PodIdentityAgentVersion
from podnet.constructs.pod_ip_alarms import PodIpAlarms
from podnet.constructs.pod_subnets import PodSubnets
from podnet.constructs.spot_node_group import SpotNodeGroup, roll_one_after_another, zone_construct_id
from podnet.constructs.system_nodes import SystemNodes
from podnet.constructs.teardown_cleanup import TeardownCleanup
from podnet.constructs.termination_events import TerminationEvents
from podnet.constructs.termination_queue_alarm import TerminationQueueAlarm
from podnet.constructs.vpc_cni_addon import VpcCniAddon
from podnet.ipplan.architecture import architecture
from podnet.ipplan.max_pods import max_pods_expression
from podnet.nag import acknowledge, iam5, managed_policy, rule, skip_checkov
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
#: aws-node variables whose change must reach every pod ENI, so the nodes roll (the warm pool's do not need it;
#: WARM_PREFIX_TARGET stays in for the fingerprint deployed clusters have).
NODE_ROLL_VARIABLES = (
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    "ENI_CONFIG_LABEL_DEF",
    "ENABLE_PREFIX_DELEGATION",
    "WARM_PREFIX_TARGET",
)


class ClusterStack(Stack):
    """EKS (native AWS::EKS::Cluster) whose nodes start only once aws-node, ENIConfigs and their access are in."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PodnetConfig,
        network: NetworkStack | None,
        **kwargs: Any,
    ) -> None:
        """``network``: the stack of the VPC podnet builds; None with ``existingVpc``, imported here by literal ids."""
        super().__init__(scope, construct_id, **kwargs)
        node_zones = config.node_availability_zones
        vpc, self.node_subnets = self._vpc(config, network)
        control_plane_subnets = list(self.node_subnets.values())
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=config.cluster_name,
            version=eks.KubernetesVersion.of(config.kubernetes_version),
            vpc=vpc,
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
                kubectl_layer=KubectlV36Layer(self, "KubectlLayer"),
                # A private endpoint is reachable only from the VPC: run kubectl there.
                private_subnets=control_plane_subnets if config.endpoint_access == "private" else None,
            ),
        )
        self._acknowledge_eks_findings()
        LogEncryptionKey.of(self).encrypt_log_groups(self.cluster.node.find_child("KubectlProvider"))
        KubectlLogGroupsFirst(self, "KubectlLogGroupsFirst", provider=self.cluster.node.find_child("KubectlProvider"))
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
            vpc=vpc,
            pod_cidrs=config.pod_cidrs,
            subnet_cidrs=config.pod_subnet_cidrs,
            node_subnets=self.node_subnets,
            cluster_name=config.cluster_name,
            prefix_reservations=config.pod_subnet_prefix_reservations,
            discovery_subnet_cidrs=config.discovery_subnet_cidrs,
            subnet_discovery=config.pod_networking == "subnet-discovery",
        )
        pod_subnets = self.pod_subnets.subnets
        teardown = TeardownCleanup(
            self,
            "TeardownCleanup",
            vpc=vpc,
            pod_subnets=self.pod_subnets.all_subnets,
            cluster_name=config.cluster_name,
        )
        # On delete, CloudFormation removes the cluster and the nodes first, then runs the cleanup (which depends on
        # the pod subnets), then deletes the pod subnets and the CIDR associations.
        self._cfn_cluster().node.add_dependency(teardown.resource)
        charts = cdk8s.App()
        # Custom networking: one ENIConfig per zone. Subnet discovery needs none (the CNI finds the tagged subnets).
        eni_configs: list[eks.KubernetesManifest] = []
        if config.pod_networking == "custom-networking":
            eni_configs.append(
                apply_chart(
                    self.cluster,
                    "EniConfigs",
                    EniConfigChart(
                        charts,
                        "eni-configs",
                        subnet_ids={zone: pod_subnets[zone].attr_subnet_id for zone in node_zones},
                        security_group_ids=[cluster_security_group.security_group_id],
                    ),
                )
            )
        vpc_cni = VpcCniAddon(
            self,
            "VpcCni",
            cluster=self.cluster,
            version=config.vpc_cni_version,
            env=config.aws_node_env,
        )
        aws_node = AwsNodeCustomNetworking(
            self, "AwsNodeCustomNetworking", cluster=self.cluster, env=config.aws_node_env
        )
        # The add-on takes aws-node over (OVERWRITE) before the patch runs, never after.
        aws_node.patch.node.add_dependency(vpc_cni.addon)
        aws_node_identity = AwsNodePodIdentity(self, "AwsNodePodIdentity", cluster=self.cluster)
        PodIdentityAgentVersion(
            self, "PodIdentityAgentVersion", cluster=self.cluster, kubernetes_version=config.kubernetes_version
        )
        # Construct id "SpotNodes" keeps the node role's and launch template's logical ids of the single-group era.
        node_template_settings = NodeTemplateSettings(
            cluster=self.cluster,
            cluster_name=config.cluster_name,
            kubernetes_version=config.kubernetes_version,
            service_cidr=str(config.service_cidr),
            max_pods_expression=max_pods_expression(config.max_pods_mode),
            cni_fingerprint=self._cni_fingerprint(config),
        )
        self.node_template = NodeLaunchTemplate(
            self,
            "SpotNodes",
            settings=node_template_settings,
            arch=architecture(config.nodes.instance_types[0]),
            ami_release=config.node_ami_release,
        )
        #: On-demand, tainted: where NTH, the Cluster Autoscaler and CoreDNS run, away from spot interruptions.
        self.system_nodes = SystemNodes(
            self,
            "SystemNodes",
            template_settings=node_template_settings,
            arch=architecture(config.system_nodes.instance_types[0]),
            ami_release=config.system_node_ami_release,
            node_role=self.node_template.role,
            node_subnets=self.node_subnets,
            instance_types=config.system_nodes.instance_types,
            group_sizes=config.system_group_sizes,
            max_pods=config.system_node_max_pods,
            roll=config.node_roll,
        )
        #: Drains nodes before they go; call ``termination_handler.manage(group)`` for every node group.
        self.termination_handler = NodeTerminationHandler(
            self,
            "NodeTerminationHandler",
            cluster=self.cluster,
            cluster_name=config.cluster_name,
            events=TerminationEvents(self, "TerminationEvents"),
            system_nodes=self.system_nodes,
        )
        TerminationQueueAlarm(
            self,
            "TerminationQueueAlarm",
            queue=self.termination_handler.events.queue,
            cluster_name=config.cluster_name,
            topic_arn=config.ip_alarms.topic_arn,
        )
        node_access = NodeAccess(
            self,
            "NodeAccess",
            cluster=self.cluster,
            node_role=self.node_template.role,
            authentication_mode=config.authentication_mode,
            charts=charts,
        )
        #: One spot group per node zone; what applies to every group (tags, hooks, dependencies) iterates over it.
        self.node_groups = [
            SpotNodeGroup(
                self,
                f"SpotNodes{zone_construct_id(zone)}",
                vpc=self.cluster.vpc,
                cluster_name=config.cluster_name,
                zone=zone,
                subnet=self.node_subnets[zone],
                launch_template=self.node_template.launch_template,
                instance_types=config.nodes.instance_types,
                sizes=sizes,
                fixed_size=not config.nodes.autoscaler,
                max_pods=config.node_max_pods,
                roll=config.node_roll,
            )
            for zone, sizes in config.node_group_sizes.items()
        ]
        # Every group rolls in turn within one cluster-wide budget: the system groups first, then the spot zones.
        every_group = [*self.system_nodes.groups, *self.node_groups]
        roll_one_after_another(every_group)
        for group in every_group:
            # The point of podnet: no node joins before custom networking is complete, so none needs recycling;
            # and aws-node's pods, created as nodes join, find their Pod Identity association and agent in place.
            group.auto_scaling_group.node.add_dependency(
                vpc_cni.addon,
                aws_node.patch,
                *eni_configs,
                *node_access.grants,
                aws_node_identity.association,
                aws_node_identity.agent,
            )
            group.auto_scaling_group.node.add_dependency(teardown.resource)
            self.termination_handler.manage(group.auto_scaling_group)
        if config.nodes.autoscaler:
            ClusterAutoscaler(
                self,
                "ClusterAutoscaler",
                cluster=self.cluster,
                cluster_name=config.cluster_name,
                kubernetes_version=config.kubernetes_version,
                region=config.region,
                node_groups=self.node_groups,
                system_nodes=self.system_nodes,
            )
        CoreDns(self, "CoreDns", cluster=self.cluster, system_nodes=self.system_nodes)
        if config.ip_alarms.enabled:
            PodIpAlarms(
                self,
                "PodIpAlarms",
                cluster_name=config.cluster_name,
                pod_subnet_ids={zone: pod_subnets[zone].attr_subnet_id for zone in node_zones},
                pod_subnet_cidrs=config.pod_subnet_cidrs,
                pod_ips=config.pod_subnet_ips,
                min_free_percent=config.ip_alarms.min_free_percent,
                topic_arn=config.ip_alarms.topic_arn,
            )

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
                    "podNetworking": config.pod_networking,
                    "availabilityZones": list(config.availability_zones),
                    "podCidr": str(config.pod_cidr),
                    "podCidrs": [str(block) for block in config.pod_cidrs],
                    "podSubnets": {
                        zone: {"subnetId": pod_subnets[zone].attr_subnet_id, "cidr": str(config.pod_subnet_cidrs[zone])}
                        for zone in node_zones
                    },
                    "discoveredPodSubnets": {
                        zone: [str(cidr) for cidr in cidrs] for zone, cidrs in config.discovery_subnet_cidrs.items()
                    },
                }
            ),
            description="Deployed pod network, for scripts/verify_custom_networking.py and podnet plan --deployed",
        )

    def _vpc(self, config: PodnetConfig, network: NetworkStack | None) -> tuple[ec2.IVpc, dict[str, ec2.ISubnet]]:
        """The VPC and its node subnets (AZ name -> subnet): the network stack's, or the existing VPC's."""
        if network is not None:
            return network.vpc, network.node_subnets
        assert config.existing_vpc is not None, "without existingVpc, podnet builds the VPC in a network stack"
        existing = ExistingVpc(self, "ExistingVpc", existing=config.existing_vpc)
        return existing.vpc, existing.node_subnets

    def _cfn_cluster(self) -> eks.CfnCluster:
        cfn_cluster = self.cluster.node.default_child
        assert isinstance(cfn_cluster, eks.CfnCluster)
        return cfn_cluster

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
        skip_checkov(
            self.cluster.node.find_child("KubectlProvider"),
            "AWS::Lambda::Function",
            "aws-cdk-lib's kubectl provider: called by CloudFormation during deploys only (a failure fails the"
            " deploy, no retry queue), its environment holds no secrets (paths and the layer's settings)",
            "CKV_AWS_115",
            "CKV_AWS_116",
            "CKV_AWS_173",
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
        env = config.aws_node_env
        settings = {
            # Each zone's first pod subnet: further (discovered) ones are added with no node roll.
            "podSubnets": {zone: str(cidr) for zone, cidr in config.pod_subnet_cidrs.items()},
            "env": {name: env[name] for name in NODE_ROLL_VARIABLES},
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
