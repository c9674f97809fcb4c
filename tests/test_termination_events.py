"""The termination queue and its EventBridge rules, matched against sample events by moto's EventBridge.

Each synthesized rule is created in moto (under ``mock_aws``, offline) with its own SQS target; every sample event
of tests/fixtures/events/ is put on the bus, and the queues show which rules matched. moto's pattern matcher is the
one its ``PutEvents`` uses; no matching is written here.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk.assertions import Template
from moto import mock_aws

from podnet.constructs import node_termination_handler as nth
from podnet.constructs.packaged_helm_chart import chart_directory
from podnet.constructs.termination_events import TerminationEvents
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render
from tests.support.kubectl import helm_template
from tests.support.synth import Synthesized

EVENTS = REPO_ROOT / "tests" / "fixtures" / "events"
REGION = "us-east-1"
OTHER_GROUP = "another-cluster-nodes-0A1B2C3D4E5F"


def sample(name: str, group: str = "") -> dict[str, Any]:
    """A sample event; ``GROUP_NAME`` in lifecycle actions becomes ``group``."""
    text = (EVENTS / f"{name}.json").read_text().replace("GROUP_NAME", group).replace("HOOK_NAME", "drain")
    event: dict[str, Any] = json.loads(text)
    return event


class EventBus:
    """moto's default event bus with one rule (and one SQS queue as its target) per synthesized pattern."""

    def __init__(self, patterns: Mapping[str, dict[str, Any]]) -> None:
        self.events = boto3.client("events", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.queues: dict[str, str] = {}
        for name, pattern in patterns.items():
            url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))
            self.events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
            self.queues[name] = url

    def matching_rules(self, event: dict[str, Any]) -> set[str]:
        """Names of the rules whose target received ``event``."""
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event["resources"],
        }
        assert self.events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        matched = set()
        for name, url in self.queues.items():
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                assert json.loads(message["Body"])["detail"] == event["detail"]
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            if messages:
                matched.add(name)
        return matched


def _group_name(stack: str, logical_id: str) -> str:
    """A physical name as CloudFormation generates it for a group without an explicit name."""
    return f"{stack}-{logical_id}-1A2B3C4D5E6F"


def _deployed_patterns(template: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Rule logical id -> event pattern, with each ``{"Ref": group}`` replaced by the group's physical name."""
    text = json.dumps(
        {
            lid: r["Properties"]["EventPattern"]
            for lid, r in template["Resources"].items()
            if r["Type"] == "AWS::Events::Rule" and lid.startswith("TerminationEvents")
        }
    )
    for placeholder, name in names.items():
        text = text.replace(json.dumps({"Ref": placeholder}), json.dumps(name))
    patterns: dict[str, dict[str, Any]] = json.loads(text)
    assert "Ref" not in text, "a pattern still holds an unresolved reference"
    return patterns


@pytest.fixture(scope="module")
def cluster_groups(default_app: Synthesized) -> dict[str, str]:
    """Logical id -> simulated physical name of every node group of the default app."""
    return {
        lid: _group_name("podnet-cluster", lid)
        for lid in default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup")
    }


@pytest.fixture(scope="module")
def bus(default_app: Synthesized, cluster_groups: dict[str, str]) -> Iterator[EventBus]:
    with mock_aws():
        yield EventBus(_deployed_patterns(default_app.cluster, cluster_groups))


def _rule_id(app: Synthesized, prefix: str) -> str:
    (lid,) = [
        lid for lid in app.resources("cluster", "AWS::Events::Rule") if lid.startswith(f"TerminationEvents{prefix}")
    ]
    return lid


@pytest.mark.parametrize(
    ("event", "rule"),
    [
        ("ec2-spot-instance-interruption-warning", "SpotInterruptionWarnings"),
        ("ec2-instance-state-change-shutting-down", "InstanceStateChanges"),
        ("health-ec2-scheduled-change", "ScheduledChanges"),
    ],
)
def test_instance_events_reach_exactly_their_rule(
    event: str, rule: str, bus: EventBus, default_app: Synthesized
) -> None:
    assert bus.matching_rules(sample(event)) == {_rule_id(default_app, rule)}


@pytest.mark.parametrize(
    "event",
    [
        # CapacityRebalance's replacement comes first; the group's terminate lifecycle action drains the node after.
        "ec2-instance-rebalance-recommendation",
        # NTH ignores a running instance.
        "ec2-instance-state-change-running",
    ],
)
def test_events_nth_must_not_act_on_match_no_rule(event: str, bus: EventBus) -> None:
    assert bus.matching_rules(sample(event)) == set()


LIFECYCLE_SAMPLES = ("autoscaling-instance-terminate-lifecycle-action", "autoscaling-instance-launch-lifecycle-action")


@pytest.mark.parametrize("event", LIFECYCLE_SAMPLES)
def test_lifecycle_actions_of_this_clusters_groups_match(
    event: str, bus: EventBus, cluster_groups: dict[str, str], default_app: Synthesized
) -> None:
    for group in cluster_groups.values():
        assert bus.matching_rules(sample(event, group)) == {_rule_id(default_app, "LifecycleActions")}, group


@pytest.mark.parametrize("event", LIFECYCLE_SAMPLES)
def test_another_groups_lifecycle_actions_match_no_rule(event: str, bus: EventBus) -> None:
    assert bus.matching_rules(sample(event, OTHER_GROUP)) == set()


def test_watch_adds_each_group_to_the_lifecycle_rule() -> None:
    """What a cluster with one group per zone gets: every watched group matches, an unwatched one does not."""
    stack = Stack(App(), "events")
    events = TerminationEvents(stack, "TerminationEvents")
    names = ("nodes-a-1", "nodes-b-2")
    for name in names:
        events.watch(autoscaling.AutoScalingGroup.from_auto_scaling_group_name(stack, name, name))
    template = Template.from_stack(stack).to_json()
    with mock_aws():
        bus = EventBus(_deployed_patterns(template, {}))
        for name in names:
            assert len(bus.matching_rules(sample("autoscaling-instance-terminate-lifecycle-action", name))) == 1
        assert bus.matching_rules(sample("autoscaling-instance-terminate-lifecycle-action", "nodes-c-3")) == set()


def test_no_lifecycle_rule_before_a_group_is_watched() -> None:
    """Without a group filter the rule would send every group's terminations in the account to NTH."""
    stack = Stack(App(), "events")
    TerminationEvents(stack, "TerminationEvents")
    patterns = Template.from_stack(stack).find_resources("AWS::Events::Rule")
    assert [p for p in patterns.values() if "aws.autoscaling" in p["Properties"]["EventPattern"]["source"]] == []


def test_queue_is_encrypted_short_lived_and_tls_only(default_app: Synthesized) -> None:
    ((queue_id, queue),) = default_app.resources("cluster", "AWS::SQS::Queue").items()
    assert queue["Properties"]["MessageRetentionPeriod"] == 300
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    (policy,) = default_app.resources("cluster", "AWS::SQS::QueuePolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Principal"] == {"AWS": "*"}
    rules = {
        lid: rule
        for lid, rule in default_app.resources("cluster", "AWS::Events::Rule").items()
        if lid.startswith("TerminationEvents")
    }
    senders = [s for s in statements if s["Effect"] == "Allow"]
    # EventBridge may send only on behalf of these rules.
    assert {render(s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in senders} == {f"<{lid}.Arn>" for lid in rules}
    assert all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in senders)
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_sample_event_matches_the_hash_recorded_in_sources(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (row,) = [line for line in (EVENTS / "SOURCES.md").read_text().splitlines() if line.startswith(f"| `{path.name}`")]
    assert digest in row


# Two clusters in one account and region: the spot, state-change and Health rules match every instance, so each
# cluster's queue gets the other's events. NTH must drop them.


def _nth_environment(app: Synthesized) -> dict[str, str]:
    """The environment of NTH's container as the real ``helm template`` renders the cluster's release."""
    chart = app.helm_chart(nth.RELEASE)
    rendered = helm_template(
        chart_directory(nth.CHART_FILE),
        release=chart["Release"],
        namespace=chart["Namespace"],
        values=chart["Values"],
        kubernetes_version=app.config.kubernetes_version,
    )
    (deployment,) = [o for o in rendered if o["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def _launch_node(app: Synthesized, name: str) -> str:
    """An instance launched (in moto) by a group carrying the tags of ``app``'s first spot group; its id."""
    ec2 = boto3.client("ec2", region_name=REGION)
    autoscaling_client = boto3.client("autoscaling", region_name=REGION)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "m6i.large"}
    )
    group = next(iter(app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup").values()))
    autoscaling_client.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name},
        MinSize=1,
        MaxSize=1,
        DesiredCapacity=1,
        VPCZoneIdentifier=subnet,
        Tags=[
            {"Key": tag["Key"], "Value": render(tag["Value"]), "PropagateAtLaunch": tag["PropagateAtLaunch"]}
            for tag in group["Properties"]["Tags"]
        ],
    )
    ((instance,),) = [
        g["Instances"]
        for g in autoscaling_client.describe_auto_scaling_groups()["AutoScalingGroups"]
        if g["AutoScalingGroupName"] == name
    ]
    instance_id: str = instance["InstanceId"]
    return instance_id


def _nth_acts_on(environment: Mapping[str, str], instance_id: str) -> bool:
    """NTH v1.25.6's ownership check, on moto's answer to the call NTH makes.

    ``pkg/monitor/sqsevent/sqs-monitor.go``: ``getNodeInfo`` calls DescribeInstances for the event's instance and
    marks it unmanaged when ``CheckIfManaged`` (CHECK_TAG_BEFORE_DRAINING) is on and its tags lack ``ManagedTag``
    (MANAGED_TAG); ``processInterruptionEvents`` then drops the event ("dropping interruption event for unmanaged
    node") and deletes the message.
    """
    (reservation,) = boto3.client("ec2", region_name=REGION).describe_instances(InstanceIds=[instance_id])[
        "Reservations"
    ]
    (instance,) = reservation["Instances"]
    tags = {tag["Key"] for tag in instance.get("Tags", [])}
    return environment["CHECK_TAG_BEFORE_DRAINING"] != "true" or environment["MANAGED_TAG"] in tags


def _instance_rules(app: Synthesized) -> dict[str, dict[str, Any]]:
    """The cluster's rules for instance events (all but the lifecycle rule, which names the cluster's groups),
    named ``<cluster>-<logical id>`` so that two clusters' rules can share moto's one event bus."""
    patterns = {
        lid: r["Properties"]["EventPattern"]
        for lid, r in app.resources("cluster", "AWS::Events::Rule").items()
        if lid.startswith("TerminationEvents") and not lid.startswith("TerminationEventsLifecycleActions")
    }
    assert len(patterns) == 3
    return {f"{app.config.cluster_name}-{lid}": pattern for lid, pattern in patterns.items()}


@pytest.mark.parametrize("event", ["ec2-spot-instance-interruption-warning", "ec2-instance-state-change-shutting-down"])
def test_each_clusters_nth_drops_the_other_clusters_instance_events(
    event: str, default_app: Synthesized, origin_app: Synthesized
) -> None:
    """Cluster podnet (default_app) and test-cluster (examples/origin.json) in one account and region: an event for
    one cluster's instance reaches both queues, and only the owner's NTH acts on it."""
    clusters = {app.config.cluster_name: app for app in (default_app, origin_app)}
    assert len(clusters) == 2
    environments = {name: _nth_environment(app) for name, app in clusters.items()}
    with mock_aws():
        bus = EventBus({rule: p for app in clusters.values() for rule, p in _instance_rules(app).items()})
        for owner, app in clusters.items():
            instance_id = _launch_node(app, f"{owner}-{event}")
            text = json.dumps(sample(event)).replace("i-0123456789abcdef0", instance_id)
            matched = bus.matching_rules(json.loads(text))
            # The rules cannot tell clusters apart: both queues get the event ...
            assert {rule.split("-Termination")[0] for rule in matched} == set(clusters), matched
            # ... and each NTH decides by the instance's tags.
            for name in clusters:
                assert _nth_acts_on(environments[name], instance_id) == (name == owner), (owner, name)
