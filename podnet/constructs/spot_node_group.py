"""One zone's self-managed spot Auto Scaling group of AL2023 nodes, launched from the shared node launch template.

Built by hand: ``connect_auto_scaling_group_capacity`` rejects an Auto Scaling group with a mixed instances
policy, and neither EKS module renders AL2023 (nodeadm) user data. One group per zone, because the Cluster
Autoscaler can only choose a zone by choosing a group (a group spanning zones hides the zone from it).
"""

from collections.abc import Sequence
from itertools import pairwise

from aws_cdk import Annotations, Aws, Duration, Stack, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from podnet.constructs.nodeadm_user_data import SIGNAL_RESOURCE_TAG, SIGNAL_STACK_TAG
from podnet.ipplan.node_groups import GroupSizes
from podnet.ipplan.node_rolls import RollSettings
from podnet.nag import acknowledge, rule


def zone_construct_id(zone: str) -> str:
    """``us-east-1a`` -> ``UsEast1a``: a construct id (and logical id part) that names the zone."""
    return "".join(part[:1].upper() + part[1:] for part in zone.split("-"))


def rolling_update_min_in_service(min_size: int, max_size: int) -> int:
    """Nodes kept in service while a rolling update replaces the others: minSize, but below maxSize, which
    CloudFormation requires (with minSize = maxSize the first node roll would fail)."""
    return min(min_size, max_size - 1)


class SpotNodeGroup(Construct):
    """An Auto Scaling group in one zone's node subnet with a price-capacity-optimized, diversified spot pool.

    Its first ``sizes.on_demand_base_capacity`` nodes are on-demand: the system groups
    (podnet/constructs/system_nodes.py) set it to their whole size, and so are this construct, all on-demand.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        cluster_name: str,
        zone: str,
        subnet: ec2.ISubnet,
        launch_template: ec2.LaunchTemplate,
        instance_types: Sequence[str],
        sizes: GroupSizes,
        fixed_size: bool,
        max_pods: int,
        roll: RollSettings,
    ) -> None:
        """``roll``: how the group's nodes are replaced when the launch template changes (podnet.ipplan.node_rolls)."""
        super().__init__(scope, construct_id)
        #: The zone whose node subnet (and so whose ENIConfig and pod subnet) the group's nodes use.
        self.zone = zone
        #: Pods every node of this group can run, whichever of its instance types it is.
        self.max_pods = max_pods
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=[subnet]),
            min_capacity=sizes.min_size,
            # Without a fixed size the Cluster Autoscaler owns it: a DesiredCapacity in the template would be
            # reset on every deploy (aws-cdk#5215). CloudFormation then starts the group at MinSize.
            desired_capacity=sizes.desired_size if fixed_size else None,
            max_capacity=sizes.max_size,
            capacity_rebalance=True,
            mixed_instances_policy=autoscaling.MixedInstancesPolicy(
                launch_template=launch_template,
                instances_distribution=autoscaling.InstancesDistribution(
                    on_demand_base_capacity=sizes.on_demand_base_capacity,
                    on_demand_percentage_above_base_capacity=0,
                    spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
                ),
                launch_template_overrides=[
                    autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(instance_type))
                    for instance_type in instance_types
                ],
            ),
            # A replacement counts once its node is Ready: with WaitOnResourceSignals, CloudFormation waits up to
            # PauseTime for a signal from each new instance of a batch and fails (and rolls back) the update when one
            # is missing or FAILURE (CloudFormation user guide, "UpdatePolicy attribute", AutoScalingRollingUpdate).
            # The node signals once its Node object is Ready (podnet/constructs/nodeadm_user_data.py). No batch is
            # larger than the cluster-wide budget, and the groups roll one after another (roll_one_after_another).
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                max_batch_size=min(roll.batch_size, sizes.max_size),
                min_instances_in_service=rolling_update_min_in_service(sizes.min_size, sizes.max_size),
                pause_time=Duration.seconds(roll.pause_seconds),
                wait_on_resource_signals=roll.wait_for_ready,
            ),
            # The first nodes count only once Ready too (CreationPolicy): a group that cannot bring up Ready nodes
            # fails the deploy instead of reporting success. CloudFormation starts the group at desired, else min.
            signals=autoscaling.Signals.wait_for_all(timeout=Duration.seconds(roll.pause_seconds))
            if roll.wait_for_ready and (sizes.desired_size if fixed_size else sizes.min_size) > 0
            else None,
        )
        cfn_group = self.auto_scaling_group.node.default_child
        assert isinstance(cfn_group, autoscaling.CfnAutoScalingGroup)
        # Where this group's nodes send their Ready signal (see SIGNAL_STACK_TAG).
        Tags.of(self.auto_scaling_group).add(SIGNAL_STACK_TAG, Aws.STACK_NAME)
        Tags.of(self.auto_scaling_group).add(SIGNAL_RESOURCE_TAG, Stack.of(self).get_logical_id(cfn_group))
        if fixed_size:
            Annotations.of(self.auto_scaling_group).acknowledge_warning(
                "@aws-cdk/aws-autoscaling:desiredCapacitySet",
                "a fixed-size group (nodes.autoscaler false, or a system group): its desired size is set by design",
            )
        Tags.of(self.auto_scaling_group).add(f"kubernetes.io/cluster/{cluster_name}", "owned")
        acknowledge(
            self.auto_scaling_group,
            "EC26: the rule cannot read the mixed-instances launch template; its root volume is encrypted gp3"
            " (asserted in tests/test_spot_node_group.py). AS3: scaling activity is in the group's history and"
            " CloudWatch; wire an SNS topic into your own alerting if you want notifications",
            rule("EC26"),
            rule("AS3"),
        )


def roll_one_after_another(groups: Sequence[SpotNodeGroup]) -> None:
    """Each group's rolling update starts only when the previous group's has finished, so at most one group's batch
    is out at any time: CloudFormation updates a resource only after those it depends on ("DependsOn attribute":
    DependsOn overrides the default parallelism of creates, updates and deletes). A failed batch stops the roll in
    its group; the later groups are not touched. The first deploy creates the groups one after another too."""
    for previous, group in pairwise(groups):
        group.auto_scaling_group.node.add_dependency(previous.auto_scaling_group)
