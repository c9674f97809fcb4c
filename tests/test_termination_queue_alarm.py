"""The alarm for a Node Termination Handler that stopped consuming its queue."""

from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from podnet.constructs.node_drain_timing import LIFECYCLE_HEARTBEAT_SECONDS, NODE_DRAIN_TIMEOUT_SECONDS
from podnet.constructs.termination_events import QUEUE_RETENTION
from podnet.constructs.termination_queue_alarm import OLDEST_MESSAGE_SECONDS, TerminationQueueAlarm
from tests.support.synth import Synthesized

TOPIC = "arn:aws:sns:us-east-1:111111111111:platform-pager"


def _alarm(topic_arn: str | None) -> tuple[str, dict[str, Any]]:
    """The alarm of the construct on its own, on a queue of the same stack: (queue logical id, alarm properties)."""
    stack = Stack(App(), "Alarm")
    queue = sqs.Queue(stack, "Queue")
    TerminationQueueAlarm(stack, "TerminationQueueAlarm", queue=queue, cluster_name="demo", topic_arn=topic_arn)
    template = Template.from_stack(stack)
    ((queue_id, _),) = template.find_resources("AWS::SQS::Queue").items()
    (alarm,) = template.find_resources("AWS::CloudWatch::Alarm").values()
    return queue_id, alarm["Properties"]


def test_alarm_is_on_the_age_of_the_queues_oldest_message() -> None:
    queue_id, properties = _alarm(TOPIC)
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert properties["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert (properties["Statistic"], properties["ComparisonOperator"]) == ("Maximum", "GreaterThanThreshold")
    assert properties["Threshold"] == OLDEST_MESSAGE_SECONDS
    # An idle queue publishes nothing: that is health, not silence.
    assert properties["TreatMissingData"] == "notBreaching"
    assert (properties["AlarmActions"], properties["OKActions"]) == ([TOPIC], [TOPIC])


def test_threshold_is_above_a_healthy_drain_and_below_the_retention() -> None:
    """Below the retention, or an unread message would expire before the alarm could see it; above one drain,
    which is as long as a healthy NTH keeps a message."""
    assert NODE_DRAIN_TIMEOUT_SECONDS < OLDEST_MESSAGE_SECONDS == LIFECYCLE_HEARTBEAT_SECONDS
    assert QUEUE_RETENTION.to_seconds() > OLDEST_MESSAGE_SECONDS


def test_no_topic_no_actions() -> None:
    _, properties = _alarm(None)
    assert "AlarmActions" not in properties and "OKActions" not in properties


def test_the_cluster_stack_watches_its_own_termination_queue(default_app: Synthesized) -> None:
    (queue_id,) = default_app.resources("cluster", "AWS::SQS::Queue")
    watching = [
        alarm
        for alarm in default_app.resources("cluster", "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"
    ]
    assert [alarm["Properties"]["Dimensions"][0]["Value"] for alarm in watching] == [
        {"Fn::GetAtt": [queue_id, "QueueName"]}
    ]
