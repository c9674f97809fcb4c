"""The system nodes: small on-demand groups, tainted, that run the controllers which keep the cluster alive.

NTH, the Cluster Autoscaler and CoreDNS must not go down with the spot pool they manage: a reclaimed spot pool
would take the controllers that drain and replace its nodes with it. So they run here, on on-demand instances
that spot interruptions do not take away, and nothing else does: the taint keeps workloads on the spot nodes,
and the label lets the controllers select these nodes (see :data:`CONTROLLER_PLACEMENT`).

The groups are the spot groups' own construct (``SpotNodeGroup``) with an on-demand base capacity equal to
their size, fixed in size (the Cluster Autoscaler does not manage them), one per zone while ``systemNodes.size``
spreads over the node zones, launched from a template of their own (another AMI architecture is possible, and
the kubelet flags differ) with the spot nodes' role.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.constructs.node_launch_template import NodeLaunchTemplate, NodeTemplateSettings
from podnet.constructs.spot_node_group import SpotNodeGroup, zone_construct_id
from podnet.ipplan.node_groups import GroupSizes
from podnet.ipplan.node_rolls import RollSettings

#: The label every system node registers with, and the taint that keeps other pods off it.
LABEL_KEY = "podnet/system"
LABEL_VALUE = "true"
TAINT = f"{LABEL_KEY}={LABEL_VALUE}:NoSchedule"
KUBELET_FLAGS = (f"--node-labels={LABEL_KEY}={LABEL_VALUE}", f"--register-with-taints={TAINT}")

#: What a controller's pod spec needs to run on the system nodes and only there: ``nodeSelector`` and
#: ``tolerations``, in the form Helm chart values and EKS add-on configurations take them.
CONTROLLER_PLACEMENT: Mapping[str, Any] = {
    "nodeSelector": {LABEL_KEY: LABEL_VALUE},
    "tolerations": [{"key": LABEL_KEY, "operator": "Equal", "value": LABEL_VALUE, "effect": "NoSchedule"}],
}


class SystemNodes(Construct):
    """The system groups (``groups``) and their launch template; the stack wires them like the spot groups."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        template_settings: NodeTemplateSettings,
        arch: str,
        ami_release: str,
        node_role: iam.IRole,
        node_subnets: Mapping[str, ec2.ISubnet],
        instance_types: Sequence[str],
        group_sizes: Mapping[str, GroupSizes],
        max_pods: int,
        roll: RollSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.template = NodeLaunchTemplate(
            self,
            "Template",
            settings=template_settings,
            arch=arch,
            ami_release=ami_release,
            role=node_role,
            kubelet_flags=KUBELET_FLAGS,
        )
        #: One group per zone that has a share of ``systemNodes.size``.
        self.groups = [
            SpotNodeGroup(
                self,
                zone_construct_id(zone),
                vpc=template_settings.cluster.vpc,
                cluster_name=template_settings.cluster_name,
                zone=zone,
                subnet=node_subnets[zone],
                launch_template=self.template.launch_template,
                instance_types=instance_types,
                sizes=sizes,
                fixed_size=True,
                max_pods=max_pods,
                roll=roll,
            )
            for zone, sizes in group_sizes.items()
        ]
