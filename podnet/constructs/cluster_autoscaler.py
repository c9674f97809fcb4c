"""The Kubernetes Cluster Autoscaler for the per-zone spot groups: discovery tags, Pod Identity role, Helm chart.

CA moves each group's desired capacity between its min and max: up when pods are Pending because no node fits
them, down when a node has been unneeded for a while. From zero nodes it plans with the group's tags, so the tags
carry what podnet knows and CA cannot: the pods a node really holds with custom networking, and the zone.
"""

from collections.abc import Sequence
from typing import Any

from aws_cdk import Tags
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.constructs.packaged_helm_chart import PackagedHelmChart
from podnet.constructs.pod_identity_service_account import pod_identity_service_account
from podnet.constructs.spot_node_group import SpotNodeGroup
from podnet.constructs.system_nodes import CONTROLLER_PLACEMENT, SystemNodes
from podnet.nag import acknowledge, iam5

CHART_FILE = "cluster-autoscaler-9.59.0.tgz"
NAMESPACE = "kube-system"
#: Deployment, ServiceAccount and release name: ``kubectl -n kube-system logs deploy/cluster-autoscaler``.
NAME = "cluster-autoscaler"
#: CA's minor version must match the cluster's (kubernetes/autoscaler README); the newest patch release of each.
#: Each is a tag ``cluster-autoscaler-<version>`` of github.com/kubernetes/autoscaler.
RELEASES = {"1.35": "v1.35.2", "1.36": "v1.36.1"}
#: With :func:`owner_tag`, the tag keys CA's auto-discovery looks for (the chart's default ``autoDiscovery.tags``).
ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"
TEMPLATE_TAG = "k8s.io/cluster-autoscaler/node-template"

#: Read-only calls, as the AWS provider README lists them ("Full Cluster Autoscaler Features Policy").
DESCRIBE_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
)
SCALING_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")

#: The flags podnet sets, each for a reason (docs/scaling.md).
FLAGS: dict[str, Any] = {
    # One group per zone: keep the zones' sizes even when pods could go to any of them.
    "balance-similar-node-groups": True,
    # Each group mixes instance types: two zones whose nodes got different spot types are still "similar".
    "balancing-ignore-label_1": "node.kubernetes.io/instance-type",
    "balancing-ignore-label_2": "beta.kubernetes.io/instance-type",
    # The groups are alike, so this only breaks ties the balancing leaves; least-waste keeps the node that
    # fits the pending pods best if you add groups of other sizes (CA's default, stated so it stays).
    "expander": "least-waste",
    # A node must be unneeded for 10 minutes before CA removes it, and no scale-down for 10 minutes after a
    # scale-up: a capacity-rebalance replacement stands empty while the node it replaces is drained, and must
    # not be taken away before the drained pods land on it.
    "scale-down-unneeded-time": "10m",
    "scale-down-delay-after-add": "10m",
}


def owner_tag(cluster_name: str) -> str:
    """The tag that marks a group as this cluster's: CA discovers groups by it, its IAM condition checks it."""
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


class ClusterAutoscaler(Construct):
    """Tags every node group for CA, gives CA its AWS permissions through EKS Pod Identity, and installs it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        cluster_name: str,
        kubernetes_version: str,
        region: str,
        node_groups: Sequence[SpotNodeGroup],
        system_nodes: SystemNodes,
    ) -> None:
        """``node_groups``: the groups CA sizes; ``system_nodes``: where CA itself runs (it never sizes them)."""
        super().__init__(scope, construct_id)
        owner = owner_tag(cluster_name)
        for group in node_groups:
            # CA reads these from the group (DescribeAutoScalingGroups), never from instances: not propagated.
            tags = {
                ENABLED_TAG: "true",
                owner: "owned",
                f"{TEMPLATE_TAG}/resources/pods": str(group.max_pods),
                f"{TEMPLATE_TAG}/label/topology.kubernetes.io/zone": group.zone,
            }
            for key, value in tags.items():
                Tags.of(group.auto_scaling_group).add(key, value, apply_to_launched_instances=False)

        self.service_account = pod_identity_service_account(self, cluster=cluster, name=NAME, namespace=NAMESPACE)
        self.service_account.add_to_principal_policy(
            iam.PolicyStatement(actions=list(DESCRIBE_ACTIONS), resources=["*"])
        )
        self.service_account.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(SCALING_ACTIONS),
                resources=["*"],
                conditions={"StringEquals": {f"aws:ResourceTag/{owner}": "owned"}},
            )
        )
        acknowledge(
            self.service_account.role,
            "CA's describe calls (autoscaling, EC2 instance types and images) accept no resource ARNs, and its"
            " SetDesiredCapacity/TerminateInstanceInAutoScalingGroup are limited by the condition that the group"
            f" carries {owner}=owned, i.e. belongs to this cluster",
            *iam5("Resource::*"),
        )

        self.chart = PackagedHelmChart(
            self,
            "Chart",
            cluster=cluster,
            chart_file=CHART_FILE,
            release=NAME,
            namespace=NAMESPACE,
            values=chart_values(cluster_name=cluster_name, kubernetes_version=kubernetes_version, region=region),
            wait=True,
        )
        # The association must exist before CA's pod is created (it only affects later pods), the groups before CA
        # looks for them, and the system nodes before the release waits for CA's pod there; on delete, CA goes
        # first and stops scaling groups being deleted.
        hosts = (group.auto_scaling_group for group in system_nodes.groups)
        self.chart.node.add_dependency(
            self.service_account, *(group.auto_scaling_group for group in node_groups), *hosts
        )


def chart_values(*, cluster_name: str, kubernetes_version: str, region: str) -> dict[str, Any]:
    """Values for the cluster-autoscaler chart."""
    return {
        "cloudProvider": "aws",
        # Pods cannot reach IMDS (hop limit 1), so CA must not need it to find its region.
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "fullnameOverride": NAME,
        "image": {"tag": RELEASES[kubernetes_version]},
        # The ServiceAccount with the Pod Identity association comes from the CDK (eks.ServiceAccount).
        "rbac": {"serviceAccount": {"create": False, "name": NAME}},
        # On the on-demand system nodes: CA must not go down with a spot pool it has to replace.
        **CONTROLLER_PLACEMENT,
        "extraArgs": FLAGS,
        # Requests and limits, pod and container security contexts of the upstream AWS example manifest
        # (cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml).
        "resources": {
            "requests": {"cpu": "100m", "memory": "600Mi"},
            "limits": {"cpu": "100m", "memory": "600Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "fsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
