"""Pod-subnet IP alarms: the ``ipAlarms`` settings, the construct on its own, and what the cluster stack gets."""

import json
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from podnet.config.errors import ConfigError
from podnet.config.loading import merge, parse_config
from podnet.config.validation import validate
from podnet.constructs.pod_ip_alarms import PodIpAlarms
from podnet.functions.pod_ip_metrics import handler as pod_ip_metrics
from tests.support.cfn_tokens import render, render_json
from tests.support.synth import Synthesized, SynthesizedPipeline

TOPIC = "arn:aws:sns:us-east-1:111111111111:platform-pager"
SUBNETS = {"us-east-1a": "subnet-0aaaaaaaaaaaaaaaa", "us-east-1b": "subnet-0bbbbbbbbbbbbbbbb"}
CIDRS = {"us-east-1a": IPv4Network("100.64.0.0/24"), "us-east-1b": IPv4Network("100.64.1.0/26")}
#: The construct takes the pod IPs as given: here as with prefix delegation (a /24: 14 prefixes; a /26: 2).
POD_IPS = {"us-east-1a": 224, "us-east-1b": 32}


# The settings.


def test_alarms_are_on_by_default_at_20_percent() -> None:
    settings = parse_config({}).ip_alarms
    assert (settings.enabled, settings.min_free_percent, settings.topic_arn) == (True, 20, None)


@pytest.mark.parametrize(
    ("ip_alarms", "expected"),
    [
        (
            {"topicArn": "platform-pager"},
            "podnet: ipAlarms.topicArn 'platform-pager' is not an SNS topic ARN; use arn:aws:sns:",
        ),
        (
            {"topicArn": "arn:aws:sns:us-east-1:1111:pager"},
            "podnet: ipAlarms.topicArn 'arn:aws:sns:us-east-1:1111:pager'",
        ),
        ({"topicArn": "arn:aws:iam::111111111111:role/pager"}, "is not an SNS topic ARN"),
        ({"minFreePercent": 0}, "podnet: ipAlarms.minFreePercent: Input should be greater than 0 (got 0)"),
        ({"minFreePercent": 100}, "podnet: ipAlarms.minFreePercent: Input should be less than 100 (got 100)"),
        ({"minFreePercnt": 10}, "podnet: unknown setting 'ipAlarms.minFreePercnt'; did you mean 'minFreePercent'?"),
    ],
)
def test_bad_settings_fail_in_one_line_naming_the_key(ip_alarms: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(parse_config({"ipAlarms": ip_alarms}))
    assert expected in str(caught.value) and str(caught.value).startswith("podnet: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("topic", [TOPIC, "arn:aws-us-gov:sns:us-gov-west-1:111111111111:Pager_2"])
def test_topic_arns_of_every_partition_pass(topic: str) -> None:
    assert parse_config({"ipAlarms": {"topicArn": topic}}).ip_alarms.topic_arn == topic
    validate(parse_config({"ipAlarms": {"topicArn": topic}}))


def test_an_environment_overrides_one_alarm_setting_and_keeps_the_others() -> None:
    base = {"ipAlarms": {"minFreePercent": 30, "topicArn": TOPIC}}
    merged = parse_config(merge(base, {"ipAlarms": {"enabled": False}})).ip_alarms
    assert (merged.enabled, merged.min_free_percent, merged.topic_arn) == (False, 30, TOPIC)


# The construct on its own: a small stack, synthesized once for this module.


@pytest.fixture(scope="module")
def alarms_app() -> App:
    app = App()
    PodIpAlarms(
        Stack(app, "Alarms"),
        "PodIpAlarms",
        cluster_name="demo",
        pod_subnet_ids=SUBNETS,
        pod_subnet_cidrs=CIDRS,
        pod_ips=POD_IPS,
        min_free_percent=12.5,
        topic_arn=TOPIC,
    )
    return app


@pytest.fixture(scope="module")
def alarms_template(alarms_app: App) -> Template:
    stack = alarms_app.node.find_child("Alarms")
    assert isinstance(stack, Stack)
    return Template.from_stack(stack)


def test_one_alarm_per_pod_subnet_below_the_minimum_share(alarms_template: Template) -> None:
    alarms = alarms_template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "FreePodIpPercent"}}
    )
    by_zone = {}
    for alarm in alarms.values():
        properties = alarm["Properties"]
        dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
        by_zone[dimensions["AvailabilityZone"]] = dimensions
        assert properties["Namespace"] == "podnet"
        assert (properties["ComparisonOperator"], properties["Threshold"]) == ("LessThanThreshold", 12.5)
        assert (properties["Statistic"], properties["Period"], properties["EvaluationPeriods"]) == ("Minimum", 300, 2)
        assert properties["TreatMissingData"] == "ignore"
    assert by_zone == {
        zone: {"ClusterName": "demo", "AvailabilityZone": zone, "SubnetId": subnet_id}
        for zone, subnet_id in SUBNETS.items()
    }
    alarms_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmDescription": Match.string_like_regexp(r"pod subnet 100\.64\.1\.0/26 in us-east-1b \(32 pod IPs\)")},
    )


def test_silence_of_the_function_notifies_without_paging_after_the_first_deploy(alarms_template: Template) -> None:
    """A new alarm starts in INSUFFICIENT_DATA and actions fire on changes of state only: with missing data kept
    missing, the alarm waits for the first report instead of going to ALARM (missing as breaching did), and a
    function that falls silent later moves it OK -> INSUFFICIENT_DATA, which notifies the topic."""
    alarms_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "podnet",
            "MetricName": "PodSubnetsReported",
            "Dimensions": [{"Name": "ClusterName", "Value": "demo"}],
            "Statistic": "Minimum",
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 2,
            "EvaluationPeriods": 3,
            "TreatMissingData": "missing",
            "InsufficientDataActions": [TOPIC],
        },
    )


def test_a_function_failing_from_its_first_run_is_an_alarm(alarms_template: Template) -> None:
    ((function_id, _),) = alarms_template.find_resources("AWS::Lambda::Function").items()
    alarms_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function_id}}],
            "Statistic": "Sum",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
            "EvaluationPeriods": 3,
            "TreatMissingData": "notBreaching",
        },
    )


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(alarms_template: Template) -> None:
    alarms = alarms_template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 4
    for alarm in alarms.values():
        assert (alarm["Properties"]["AlarmActions"], alarm["Properties"]["OKActions"]) == ([TOPIC], [TOPIC])


def test_no_topic_no_actions() -> None:
    stack = Stack(App(), "Quiet")
    PodIpAlarms(
        stack,
        "PodIpAlarms",
        cluster_name="demo",
        pod_subnet_ids=SUBNETS,
        pod_subnet_cidrs=CIDRS,
        pod_ips=POD_IPS,
        min_free_percent=20,
        topic_arn=None,
    )
    for alarm in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmActions" not in alarm["Properties"] and "OKActions" not in alarm["Properties"]


def test_the_function_runs_every_five_minutes_with_the_subnets_the_alarms_watch(alarms_template: Template) -> None:
    (function,) = alarms_template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "handler.handler"}}
    ).values()
    properties = function["Properties"]
    assert properties["Runtime"].startswith("python3.")
    variables = properties["Environment"]["Variables"]
    assert (variables["CLUSTER_NAME"], variables["METRIC_NAMESPACE"]) == ("demo", "podnet")
    assert render_json(variables["POD_SUBNETS"]) == SUBNETS
    assert json.loads(variables["POD_IPS"]) == POD_IPS
    (rule,) = alarms_template.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    ((function_id, _),) = alarms_template.find_resources("AWS::Lambda::Function").items()
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    alarms_template.has_resource_properties(
        "AWS::Lambda::Permission", {"Principal": "events.amazonaws.com", "Action": "lambda:InvokeFunction"}
    )


def test_the_code_asset_is_the_handler_alone(alarms_app: App, alarms_template: Template) -> None:
    """Handler "handler.handler": handler.py at the root of the zip, nothing else (no podnet package)."""
    (asset,) = Path(alarms_app.synth().directory).glob("asset.*")
    assert sorted(path.name for path in asset.iterdir()) == ["handler.py"]
    assert (asset / "handler.py").read_bytes() == Path(pod_ip_metrics.__file__).read_bytes()
    assert callable(pod_ip_metrics.handler)


def test_least_privilege_role(alarms_template: Template) -> None:
    """Logs to its own log group, DescribeSubnets, and PutMetricData only into the podnet namespace."""
    ((log_group_id, log_group),) = alarms_template.find_resources("AWS::Logs::LogGroup").items()
    assert log_group["Properties"]["RetentionInDays"] == 90
    (function,) = alarms_template.find_resources("AWS::Lambda::Function").values()
    assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    (role,) = alarms_template.find_resources("AWS::IAM::Role").values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"]
    (policy,) = alarms_template.find_resources("AWS::IAM::Policy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        {"Action": "ec2:DescribeSubnets", "Effect": "Allow", "Resource": "*"},
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "podnet"}},
            "Effect": "Allow",
            "Resource": "*",
        },
    ]


# In the cluster stack.


def _alarm_subnets(app: Synthesized) -> dict[str, str]:
    """Zone -> the pod subnet (as a rendered reference) its low-IP alarm watches."""
    zones = {}
    for alarm in app.resources("cluster", "AWS::CloudWatch::Alarm").values():
        if alarm["Properties"]["MetricName"] == "FreePodIpPercent":
            dimensions = {d["Name"]: render(d["Value"]) for d in alarm["Properties"]["Dimensions"]}
            assert dimensions["ClusterName"] == app.config.cluster_name
            zones[dimensions["AvailabilityZone"]] = dimensions["SubnetId"]
    return zones


@pytest.mark.parametrize("app_name", ["default_app", "origin_app"])
def test_cluster_stack_watches_each_pod_subnet_its_eni_configs_use(
    app_name: str, request: pytest.FixtureRequest
) -> None:
    app: Synthesized = request.getfixturevalue(app_name)
    eni_subnets = {e["metadata"]["name"]: e["spec"]["subnet"] for e in app.kubernetes_manifest("EniConfigs")}
    assert _alarm_subnets(app) == eni_subnets
    (function,) = [
        f
        for f in app.resources("cluster", "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "handler.handler"
    ]
    assert render_json(function["Properties"]["Environment"]["Variables"]["POD_SUBNETS"]) == eni_subnets
    pod_ips = json.loads(function["Properties"]["Environment"]["Variables"]["POD_IPS"])
    assert pod_ips == {zone: app.config.pod_subnet_ips[zone] for zone in eni_subnets}
    (heartbeat,) = [
        a
        for a in app.resources("cluster", "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "PodSubnetsReported"
    ]
    assert heartbeat["Properties"]["Threshold"] == len(eni_subnets)


def test_prefix_delegation_alarms_count_whole_prefixes(prefix_delegation_app: Synthesized) -> None:
    """Default /18 pod subnets with prefix delegation: 1,022 aligned /28s, 16,352 pod IPs (not 16,379)."""
    (function,) = [
        f
        for f in prefix_delegation_app.resources("cluster", "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "handler.handler"
    ]
    pod_ips = json.loads(function["Properties"]["Environment"]["Variables"]["POD_IPS"])
    assert set(pod_ips.values()) == {16_352}
    descriptions = [
        a["Properties"]["AlarmDescription"]
        for a in prefix_delegation_app.resources("cluster", "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "FreePodIpPercent"
    ]
    assert len(descriptions) == 3 and all("(16352 pod IPs)" in description for description in descriptions)


def test_cluster_stack_alarms_use_the_default_settings(default_app: Synthesized) -> None:
    alarms = default_app.resources("cluster", "AWS::CloudWatch::Alarm").values()
    assert {a["Properties"]["Threshold"] for a in alarms if a["Properties"]["MetricName"] == "FreePodIpPercent"} == {20}
    assert not any("AlarmActions" in a["Properties"] for a in alarms)


def test_each_environment_gets_its_own_alarm_settings(pipeline_app: SynthesizedPipeline) -> None:
    """examples/pipeline.json: dev turns the alarms off, prod pages its on-call topic below 25%."""
    dev, prod = pipeline_app.stages["dev"]["cluster"], pipeline_app.stages["prod"]["cluster"]
    # The termination queue's alarm (tests/test_termination_queue_alarm.py) is not a pod-IP alarm: it stays.
    assert [lid for lid in pipeline_app.resources(dev, "AWS::CloudWatch::Alarm") if lid.startswith("PodIpAlarms")] == []
    assert not [f for f in pipeline_app.resources(dev, "AWS::Lambda::Function") if f.startswith("PodIpAlarms")]
    alarms = pipeline_app.resources(prod, "AWS::CloudWatch::Alarm").values()
    topic = "arn:aws:sns:us-east-1:333333333333:platform-oncall"
    assert [a["Properties"]["Threshold"] for a in alarms if a["Properties"]["MetricName"] == "FreePodIpPercent"] == [
        25,
        25,
        25,
    ]
    assert all(a["Properties"]["AlarmActions"] == a["Properties"]["OKActions"] == [topic] for a in alarms)


def test_the_scheduled_function_has_bounded_concurrency_and_explicit_retries(alarms_template: Template) -> None:
    """One run at a time; a failed run is not retried by Lambda (the next tick is the retry, the Failing alarm
    counts it); EventBridge retries delivery only within one schedule period."""
    ((function_id, function),) = alarms_template.find_resources("AWS::Lambda::Function").items()
    assert function["Properties"]["ReservedConcurrentExecutions"] == 1
    (invoke_config,) = alarms_template.find_resources("AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"]["FunctionName"] == {"Ref": function_id}
    assert (
        invoke_config["Properties"]["MaximumRetryAttempts"],
        invoke_config["Properties"]["MaximumEventAgeInSeconds"],
    ) == (0, 300)
    (rule,) = alarms_template.find_resources("AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 300}
