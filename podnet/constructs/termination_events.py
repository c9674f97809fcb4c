"""The SQS queue the Node Termination Handler reads, and the EventBridge rules that fill it.

Patterns follow NTH's own CloudFormation template (docs/cfn-template.yaml, v1.25.6) with two deliberate
differences: no rule for "EC2 Instance Rebalance Recommendation" (in queue mode NTH drains on every event it
receives, which would drain a node before CapacityRebalance has its replacement up; the terminate lifecycle
action covers rebalancing), and the lifecycle-action rule matches only the node groups handed to :meth:`watch`,
for their launch actions too (NTH completes those once the new node is Ready: a rolling update waits for it).
"""

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from podnet.nag import acknowledge, rule, skip_checkov

#: NTH's documented retention: an event older than this is about an instance that is already gone.
QUEUE_RETENTION = Duration.seconds(300)

#: The instance states NTH acts on (pkg/monitor/sqsevent/ec2-state-change-event.go, instanceStatesToDrain).
DRAINING_STATES = ("stopping", "stopped", "shutting-down", "terminated")

#: Both transitions NTH handles (pkg/monitor/sqsevent/sqs-monitor.go dispatches on LifecycleTransition).
LIFECYCLE_ACTIONS = ("EC2 Instance-launch Lifecycle Action", "EC2 Instance-terminate Lifecycle Action")


class TerminationEvents(Construct):
    """One queue per cluster; every rule sends straight to it (lifecycle actions by rule only, never by hook)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            retention_period=QUEUE_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(
            self.queue,
            "SQS3: a dead-letter queue would only collect termination events for instances that are gone; an"
            " event NTH cannot handle returns to the queue and expires with the 300 s retention",
            rule("SQS3"),
        )
        skip_checkov(
            self.queue,
            "AWS::SQS::Queue",
            "encrypted with SSE-SQS, as NTH documents: a customer key would need a key policy for EventBridge and"
            " kms:Decrypt for NTH, and the AWS managed SQS key cannot be used with EventBridge",
            "CKV_AWS_27",
        )
        self._target = targets.SqsQueue(self.queue)
        self._rule(
            "SpotInterruptionWarnings",
            events.EventPattern(source=["aws.ec2"], detail_type=["EC2 Spot Instance Interruption Warning"]),
        )
        self._rule(
            "InstanceStateChanges",
            events.EventPattern(
                source=["aws.ec2"],
                detail_type=["EC2 Instance State-change Notification"],
                detail={"state": list(DRAINING_STATES)},
            ),
        )
        self._rule(
            "ScheduledChanges",
            events.EventPattern(
                source=["aws.health"],
                detail_type=["AWS Health Event"],
                detail={"service": ["EC2"], "eventTypeCategory": ["scheduledChange"]},
            ),
        )
        #: Created by the first :meth:`watch`: without a group filter the rule would match every group in the account.
        self.lifecycle_actions: events.Rule | None = None

    def watch(self, group: autoscaling.IAutoScalingGroup) -> None:
        """Send ``group``'s lifecycle actions to the queue (the rule lists every watched group's name)."""
        group_filter = {"AutoScalingGroupName": [group.auto_scaling_group_name]}
        if self.lifecycle_actions is None:
            self.lifecycle_actions = self._rule(
                "LifecycleActions",
                events.EventPattern(
                    source=["aws.autoscaling"], detail_type=list(LIFECYCLE_ACTIONS), detail=group_filter
                ),
            )
        else:
            self.lifecycle_actions.add_event_pattern(detail=group_filter)

    def _rule(self, construct_id: str, pattern: events.EventPattern) -> events.Rule:
        return events.Rule(self, construct_id, event_pattern=pattern, targets=[self._target])
