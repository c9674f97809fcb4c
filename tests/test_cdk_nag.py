"""cdk-nag AwsSolutions over the whole app: no unacknowledged finding, and every acknowledgement reviewed."""

from typing import Any

import pytest

from tests.support.synth import Synthesized, SynthesizedPipeline

#: What podnet accepts: each construct says why where it acknowledges its own findings (podnet/nag.py).
#: A new acknowledgement must be added here on purpose.
ACKNOWLEDGED = {
    "AwsSolutions-AS3",
    "AwsSolutions-EC26",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy]",
    # On aws-node's Pod Identity role, no longer on the node role.
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
    "AwsSolutions-IAM5[Resource::<ClusterKubectlProviderHandler2E05C68A.Arn>:*]",
    # Describe* calls (teardown cleanup, NTH, the Cluster Autoscaler) and PutMetricData (PodIpAlarms, namespace-
    # conditioned) have no resource ARNs; the cleanup's deletes are conditioned to the pod subnets / this VPC and
    # cluster tag; its provider invokes the function.
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM5[Resource::arn:aws:ec2:us-east-1:<AWS::AccountId>:network-interface/*]",
    "AwsSolutions-IAM5[Resource::arn:aws:ec2:us-east-1:<AWS::AccountId>:security-group/*]",
    "AwsSolutions-IAM5[Resource::<TeardownCleanupFunction413AD86A.Arn>:*]",
    # The kubectl provider reads packaged Helm charts from the CDK asset bucket (aws-cdk-lib's HelmChart grant).
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Resource::arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-us-east-1/*]",
    "AwsSolutions-L1",
    # Node lifecycle: the termination queue has no DLQ; NTH completes lifecycle actions of each zone's groups, whose
    # ARN has the group id as a wildcard.
    "AwsSolutions-SQS3",
    *(
        "AwsSolutions-IAM5[Resource::arn:aws:autoscaling:us-east-1:<AWS::AccountId>:autoScalingGroup:*:"
        f"autoScalingGroupName/<{group}>]"
        for group in (
            "SpotNodesUsEast1aGroupASG06F33A71",
            "SpotNodesUsEast1bGroupASGA22574D6",
            "SpotNodesUsEast1cGroupASG5C2D9074",
            "SystemNodesUsEast1aGroupASGA598D2F2",
            "SystemNodesUsEast1bGroupASG364F76FE",
        )
    ),
}


def _nag_report(app: Synthesized) -> dict[str, Any]:
    (report,) = [r for r in app.validation_report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    return dict(report)


@pytest.mark.parametrize(
    "app_name", ["default_app", "origin_app", "prefix_delegation_app", "existing_vpc_app", "subnet_discovery_app"]
)
def test_no_unacknowledged_findings(app_name: str, request: pytest.FixtureRequest) -> None:
    report = _nag_report(request.getfixturevalue(app_name))
    assert report["violations"] == []
    assert report["conclusion"] == "success"


def test_every_acknowledgement_is_expected_narrow_and_explained(default_app: Synthesized) -> None:
    suppressed = _nag_report(default_app)["suppressedViolations"]
    assert {s["ruleName"] for s in suppressed if not s["ruleName"].startswith("AwsSolutions-IAM4[Policy::{")} == (
        ACKNOWLEDGED
    )
    for finding in suppressed:
        assert len(finding["reason"]) > 40, finding["ruleName"]
        # Acknowledged on the construct concerned, never on a whole stack.
        assert finding["acknowledgedAt"].count("/") >= 1, finding
        for construct in finding["violatingConstructs"]:
            assert construct["constructPath"].startswith(finding["acknowledgedAt"] + "/"), finding


def test_pipeline_and_its_stages_have_no_unacknowledged_findings(pipeline_app: SynthesizedPipeline) -> None:
    (report,) = [r for r in pipeline_app.validation_report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["violations"] == []
    suppressed = {s["ruleName"] for s in report["suppressedViolations"]}
    # The pipeline's own findings are acknowledged one by one, never a whole rule.
    assert "AwsSolutions-IAM5" not in suppressed
    assert all(len(s["reason"]) > 40 for s in report["suppressedViolations"])
