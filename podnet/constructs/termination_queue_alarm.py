"""A CloudWatch alarm for when the Node Termination Handler stops consuming its queue.

NTH deletes a message once it has handled the event (a drain done, a launch confirmed Ready, an event for an
instance that is not this cluster's dropped). A message that stays for minutes means NTH is not running, cannot
read the queue (credentials, permissions), or a new node never became Ready. Either way nodes now go without a
drain, or join without the Ready gate: nothing breaks at once, which is why it needs an alarm.
"""

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from podnet.constructs.node_drain_timing import LIFECYCLE_HEARTBEAT_SECONDS

#: The oldest message's age that fires the alarm. A healthy NTH keeps a message at most for one drain (deleted
#: after it, NODE_DRAIN_TIMEOUT_SECONDS) or until a new node is Ready (a minute or two); the heartbeat of the
#: terminating hook, longer than both, is the age at which a lifecycle action has been given up on.
OLDEST_MESSAGE_SECONDS = LIFECYCLE_HEARTBEAT_SECONDS
#: SQS publishes its metrics every minute; the alarm looks at each five minutes' maximum.
PERIOD = Duration.minutes(5)


class TerminationQueueAlarm(Construct):
    """``ApproximateAgeOfOldestMessage`` of the termination queue above :data:`OLDEST_MESSAGE_SECONDS`.

    With ``topic_arn`` (``ipAlarms.topicArn``) the alarm notifies that SNS topic on ALARM and on OK.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, queue: sqs.IQueue, cluster_name: str, topic_arn: str | None
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarm = cloudwatch.Alarm(
            self,
            "OldestMessage",
            alarm_description=f"Cluster {cluster_name}: the Node Termination Handler has left an event in its queue"
            f" for over {OLDEST_MESSAGE_SECONDS} s. Nodes now go without a drain: check"
            " `kubectl -n kube-system get deploy aws-node-termination-handler` and its logs, its Pod Identity"
            " association, or a new node that never became Ready",
            metric=queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            threshold=OLDEST_MESSAGE_SECONDS,
            evaluation_periods=1,
            # SQS stops publishing for a queue that has been empty for hours: an idle queue is a healthy one.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if topic_arn is not None:
            notify = cloudwatch_actions.SnsAction(sns.Topic.from_topic_arn(self, "Topic", topic_arn))
            self.alarm.add_alarm_action(notify)
            self.alarm.add_ok_action(notify)
