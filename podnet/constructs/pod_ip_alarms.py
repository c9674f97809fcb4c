"""CloudWatch alarms before a zone runs out of pod IPs: AWS publishes no per-subnet IP metric, so a small function
does, every five minutes (``podnet/functions/pod_ip_metrics``)."""

import json
from collections.abc import Mapping
from ipaddress import IPv4Network
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.functions.pod_ip_metrics import handler as pod_ip_metrics
from podnet.nag import acknowledge, iam5, skip_checkov

#: CloudWatch namespace of the function's metrics; its role may publish to this one only.
NAMESPACE = "podnet"
SCHEDULE = Duration.minutes(5)
#: EventBridge's attempts to deliver a run that Lambda throttled or could not take, within the schedule period.
RETRY_ATTEMPTS = 2
#: A zone's alarm fires after this many low five-minute periods in a row (one scale-up burst is not a page).
LOW_PERIODS = 2
#: The function's alarm fires after this many five-minute periods without a complete report.
SILENT_PERIODS = 3


class PodIpAlarms(Construct):
    """The metrics function on a schedule, one alarm per pod subnet, and one for when the function stops reporting.

    ``pod_subnet_ids`` maps each zone to its pod subnet id (a token is fine); ``pod_subnet_cidrs`` and ``pod_ips``
    (the addresses pods can get: whole /28s with prefix delegation, podnet.ipplan.prefixes) give the subnets' sizes
    to the alarm descriptions and the function. With ``topic_arn`` every alarm notifies that SNS topic on ALARM and
    on OK.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        pod_subnet_ids: Mapping[str, str],
        pod_subnet_cidrs: Mapping[str, IPv4Network],
        pod_ips: Mapping[str, int],
        min_free_percent: float,
        topic_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.THREE_MONTHS, encryption_key=LogEncryptionKey.of(self).key
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"podnet: publishes the free IPs of the pod subnets of cluster {cluster_name} to CloudWatch",
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_policy(iam.PolicyStatement(actions=["ec2:DescribeSubnets"], resources=["*"]))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
            )
        )
        acknowledge(
            self.role,
            "ec2:DescribeSubnets and cloudwatch:PutMetricData support no resource-level permissions, so their"
            f" resource is '*'; PutMetricData is limited to the {NAMESPACE} namespace by the cloudwatch:namespace"
            " condition",
            *iam5("Resource::*"),
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"podnet: free IPs of the pod subnets of cluster {cluster_name}, to CloudWatch",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(
                str(Path(pod_ip_metrics.__file__).parent), exclude=["__init__.py", "__pycache__"]
            ),
            role=self.role,
            log_group=self.log_group,
            memory_size=128,
            timeout=Duration.seconds(30),
            # One run at a time, and never more: a run takes seconds, the next comes five minutes later.
            reserved_concurrent_executions=1,
            environment={
                "CLUSTER_NAME": cluster_name,
                "METRIC_NAMESPACE": NAMESPACE,
                "POD_SUBNETS": Stack.of(self).to_json_string(dict(pod_subnet_ids)),
                "POD_IPS": json.dumps({zone: pod_ips[zone] for zone in pod_subnet_ids}),
            },
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"podnet: free pod IPs of cluster {cluster_name}, every {SCHEDULE.to_minutes()} minutes",
            schedule=events.Schedule.rate(SCHEDULE),
            targets=[targets.LambdaFunction(self.function, retry_attempts=RETRY_ATTEMPTS, max_event_age=SCHEDULE)],
        )
        # A failed run is not retried (the next scheduled run is the retry) and the Failing alarm below counts it.
        self.function.configure_async_invoke(retry_attempts=0, max_event_age=SCHEDULE)
        skip_checkov(
            self.function,
            "AWS::Lambda::Function",
            "scheduled every five minutes: a failed run's event is a clock tick that the next run replaces, so a"
            " dead-letter queue would hold nothing to replay; failures are the Failing alarm's. It calls AWS APIs"
            " only (no VPC access needed), and its environment holds the cluster name and subnet ids, no secret",
            "CKV_AWS_116",
            "CKV_AWS_117",
            "CKV_AWS_173",
        )

        #: Zone -> the alarm on its pod subnet's free share.
        self.low_free_ips: dict[str, cloudwatch.Alarm] = {}
        for zone, subnet_id in pod_subnet_ids.items():
            cidr = pod_subnet_cidrs[zone]
            self.low_free_ips[zone] = cloudwatch.Alarm(
                self,
                f"LowFreeIps-{zone}",
                alarm_description=f"Cluster {cluster_name}: pod subnet {cidr} in {zone} ({pod_ips[zone]} pod IPs)"
                f" has less than {min_free_percent:g}% free; new pods in {zone} may get no IP",
                metric=cloudwatch.Metric(
                    namespace=NAMESPACE,
                    metric_name=pod_ip_metrics.FREE_PERCENT,
                    dimensions_map={
                        pod_ip_metrics.CLUSTER: cluster_name,
                        pod_ip_metrics.ZONE: zone,
                        pod_ip_metrics.SUBNET: subnet_id,
                    },
                    statistic=cloudwatch.Stats.MINIMUM,
                    period=SCHEDULE,
                ),
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                threshold=min_free_percent,
                evaluation_periods=LOW_PERIODS,
                # No data means the function did not run, which the alarm below reports; keep this one's state.
                treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
            )
        self.not_reporting = cloudwatch.Alarm(
            self,
            "NotReporting",
            alarm_description=f"Cluster {cluster_name}: podnet's pod-IP metrics function has not reported every"
            f" pod subnet for {SILENT_PERIODS * SCHEDULE.to_minutes()} minutes, so the low-IP alarms cannot fire;"
            f" see log group {self.log_group.log_group_name}",
            metric=cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name=pod_ip_metrics.SUBNETS_REPORTED,
                dimensions_map={pod_ip_metrics.CLUSTER: cluster_name},
                statistic=cloudwatch.Stats.MINIMUM,
                period=SCHEDULE,
            ),
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            threshold=len(pod_subnet_ids),
            evaluation_periods=SILENT_PERIODS,
            # Not BREACHING: a new alarm has no data until the first scheduled run, and "missing is breaching" would
            # page right after the first deploy. Silence shows as INSUFFICIENT_DATA instead, which notifies (below);
            # a new alarm starts in that state, and actions fire on changes of state only.
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
        )
        #: A function that fails from its first run never reports, so the alarm above would never leave its initial
        #: state: its failed runs (Lambda ``Errors``) have an alarm of their own.
        self.failing = cloudwatch.Alarm(
            self,
            "Failing",
            alarm_description=f"Cluster {cluster_name}: podnet's pod-IP metrics function failed in"
            f" {SILENT_PERIODS} five-minute periods in a row, so the low-IP alarms cannot fire;"
            f" see log group {self.log_group.log_group_name}",
            metric=self.function.metric_errors(period=SCHEDULE, statistic=cloudwatch.Stats.SUM),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            threshold=1,
            evaluation_periods=SILENT_PERIODS,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if topic_arn is not None:
            notify = cloudwatch_actions.SnsAction(sns.Topic.from_topic_arn(self, "Topic", topic_arn))
            for alarm in (*self.low_free_ips.values(), self.not_reporting, self.failing):
                alarm.add_alarm_action(notify)
                alarm.add_ok_action(notify)
            self.not_reporting.add_insufficient_data_action(notify)
