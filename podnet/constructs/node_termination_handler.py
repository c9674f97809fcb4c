"""AWS Node Termination Handler (NTH) in queue mode: cordon and drain a node before it goes away.

The chart is the upstream package committed under podnet/data/helm/ (see SOURCES.md there), installed through
``PackagedHelmChart``: no chart repository is contacted at deploy time and tests render exactly what is deployed.
NTH gets its AWS permissions through EKS Pod Identity, on its own service account.
"""

from typing import Any

from aws_cdk import Duration, Stack, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.constructs.node_drain_timing import (
    LAUNCH_READY_TIMEOUT_SECONDS,
    LIFECYCLE_HEARTBEAT_SECONDS,
    NODE_DRAIN_TIMEOUT_SECONDS,
)
from podnet.constructs.packaged_helm_chart import PackagedHelmChart
from podnet.constructs.pod_identity_service_account import pod_identity_service_account
from podnet.constructs.system_nodes import CONTROLLER_PLACEMENT, SystemNodes
from podnet.constructs.termination_events import TerminationEvents
from podnet.nag import acknowledge, as_written, iam5

CHART_FILE = "aws-node-termination-handler-0.27.6.tgz"
RELEASE = "aws-node-termination-handler"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-node-termination-handler"
#: Two replicas: NTH may run on the node it drains (it skips its own pod), and a PodDisruptionBudget needs > 1.
REPLICAS = 2
#: NTH drains only instances carrying its managed tag (checkTagBeforeDraining); the value is ignored. podnet's
#: key is this prefix (NTH's default key) and the cluster name: :func:`managed_tag`.
MANAGED_TAG_PREFIX = "aws-node-termination-handler/managed"
#: The chart's selector labels of its Deployment (templates/_helpers.tpl, selectorLabelsDeployment).
POD_LABELS = {
    "app.kubernetes.io/name": "aws-node-termination-handler",
    "app.kubernetes.io/instance": RELEASE,
    "app.kubernetes.io/component": "deployment",
}


def managed_tag(cluster_name: str) -> str:
    """The instance tag by which this cluster's NTH knows its own instances.

    NTH drops every event for an instance without its ``managedTag`` (v1.25.6 ``pkg/monitor/sqsevent/sqs-monitor.go``:
    ``getNodeInfo`` reads the instance's tags with DescribeInstances, and ``processInterruptionEvents`` drops an event
    whose instance is not managed). The spot, state-change and Health rules see every instance of the account and
    region, so with one key for all clusters two clusters would drain each other's nodes (by node name, which two
    clusters with the same VPC CIDR can share). The key ends in the cluster name: unique per account and region.
    """
    return f"{MANAGED_TAG_PREFIX}/{cluster_name}"


def chart_values(*, queue_url: str, region: str, cluster_name: str) -> dict[str, Any]:
    """Queue mode against ``queue_url``, two replicas on different system nodes, a PDB, the Pod Identity service
    account, this cluster's instances only."""
    return {
        "enableSqsTerminationDraining": True,
        "queueURL": queue_url,
        "awsRegion": region,
        "replicas": REPLICAS,
        "podDisruptionBudget": {"maxUnavailable": 1},
        # The service account is podnet's (it carries the Pod Identity association), not the chart's.
        "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
        "nodeTerminationGracePeriod": NODE_DRAIN_TIMEOUT_SECONDS,
        "checkTagBeforeDraining": True,
        "managedTag": managed_tag(cluster_name),
        # Find the node by its providerID (aws:///<zone>/<instance id>), unique across clusters, not by the EC2
        # private DNS name, which is not (NTH v1.25.6 pkg/interruptionevent/internal/common/handler.go, GetNodeName).
        "useProviderId": True,
        **CONTROLLER_PLACEMENT,
        # One replica per node while there are two schedulable nodes; with one node both may share it (skew 0).
        # Honor: a cordoned (tainted) node is not a domain, so a drain does not leave the second replica Pending.
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "nodeTaintsPolicy": "Honor",
                "labelSelector": {"matchLabels": POD_LABELS},
            }
        ],
    }


class NodeTerminationHandler(Construct):
    """NTH's service account (Pod Identity), its permissions and the Helm release; :meth:`manage` adds node groups."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        cluster_name: str,
        events: TerminationEvents,
        system_nodes: SystemNodes,
    ) -> None:
        super().__init__(scope, construct_id)
        self.events = events
        self._managed_tag = managed_tag(cluster_name)
        # Creates the Pod Identity association and, once per cluster, the eks-pod-identity-agent add-on.
        self.service_account = pod_identity_service_account(
            self, cluster=cluster, name=SERVICE_ACCOUNT, namespace=NAMESPACE
        )
        self.service_account.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources=[events.queue.queue_arn])
        )
        self.service_account.add_to_principal_policy(
            iam.PolicyStatement(actions=["ec2:DescribeInstances"], resources=["*"])
        )
        acknowledge(
            self.service_account.role,
            "ec2:DescribeInstances has no resource-level permissions; NTH reads the instance's tags and node name",
            *iam5("Resource::*"),
        )
        self.chart = PackagedHelmChart(
            self,
            "Chart",
            cluster=cluster,
            chart_file=CHART_FILE,
            release=RELEASE,
            namespace=NAMESPACE,
            values=chart_values(
                queue_url=events.queue.queue_url, region=Stack.of(self).region, cluster_name=cluster_name
            ),
            wait=True,
        ).chart
        # Pods get Pod Identity credentials only if the association exists when they are created; the release waits
        # for its pods, so the system nodes they run on come first.
        self.chart.node.add_dependency(
            self.service_account, *(group.auto_scaling_group for group in system_nodes.groups)
        )

    def manage(self, group: autoscaling.AutoScalingGroup) -> None:
        """Let NTH drain ``group``'s nodes before they go, and hold new ones out of service until they are Ready:
        both lifecycle hooks, the managed tag, the lifecycle-action rule, the permission.

        Call it once for every node group of the cluster.
        """
        Tags.of(group).add(self._managed_tag, "true", apply_to_launched_instances=True)
        self.events.watch(group)
        self.service_account.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["autoscaling:CompleteLifecycleAction"], resources=[group.auto_scaling_group_arn]
            )
        )
        acknowledge(
            self.service_account.role,
            "the wildcard stands for the group's id, which CloudFormation does not return; the group name is exact",
            *iam5(f"Resource::{as_written(self, group.auto_scaling_group_arn)}"),
        )
        # No notification targets: lifecycle actions reach the queue through the EventBridge rule only.
        group.add_lifecycle_hook(
            "DrainBeforeTermination",
            lifecycle_transition=autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
            default_result=autoscaling.DefaultResult.CONTINUE,
            heartbeat_timeout=Duration.seconds(LIFECYCLE_HEARTBEAT_SECONDS),
        )
        # A new instance goes InService (and a rolling update on) as soon as NTH sees its node Ready. CONTINUE, not
        # ABANDON: a launch NTH does not confirm (NTH down, its queue or permissions broken) still becomes capacity
        # after the heartbeat, so a broken NTH costs a delay, never the nodes. The hook is its own resource, created
        # after the group: the instances a brand-new group launches first are not held.
        group.add_lifecycle_hook(
            "ReadyBeforeInService",
            lifecycle_transition=autoscaling.LifecycleTransition.INSTANCE_LAUNCHING,
            default_result=autoscaling.DefaultResult.CONTINUE,
            heartbeat_timeout=Duration.seconds(LAUNCH_READY_TIMEOUT_SECONDS),
        )
