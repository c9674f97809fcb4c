"""cdk-nag (AwsSolutions) findings podnet accepts: every one scoped to the construct it is about, with a reason.

Kept in one place so a security review reads every exception at once. Fixed rather than acknowledged: VPC flow
logs, KMS-encrypted secrets with rotation, all control-plane logs, private endpoint, IMDSv2, encrypted volumes,
no SSH key. cdk-nag's EKS rules do not recognise the aws_eks_v2 cluster; tests assert those settings instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from podnet.constructs.spot_node_group import NODE_MANAGED_POLICIES, SpotNodeGroup

if TYPE_CHECKING:  # only a pipeline synth needs these modules: importing them costs every synth time
    from aws_cdk import aws_codebuild as codebuild
    from aws_cdk import aws_codepipeline as codepipeline
    from aws_cdk import pipelines

NAG = "AwsSolutions::AwsSolutions-"


def _managed_policy(name: str) -> str:
    return f"{NAG}IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]"


def _acknowledge(scope: IConstruct, reason: str, *rules: str) -> None:
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule, reason=reason) for rule in rules))


def acknowledge_network_findings(network: Stack) -> None:
    """Explicit AZ names are podnet's design: synth needs no lookup and the plan matches the template."""
    _acknowledge(
        network,
        "availabilityZones are explicit settings so synth needs no AWS lookup; validation checks them against"
        " the region",
        "CloudFormation-Validate::W3010",
    )


def acknowledge_cluster_findings(cluster: eks.Cluster, nodes: SpotNodeGroup) -> None:
    """Accept what AWS itself requires of an EKS cluster and what aws-cdk-lib generates for kubectl."""
    _acknowledge(
        cluster.role,
        "EKS requires AmazonEKSClusterPolicy on the cluster role (AWS maintains it with the service)",
        _managed_policy("AmazonEKSClusterPolicy"),
    )
    provider = cluster.node.find_child("KubectlProvider")
    _acknowledge(
        provider,
        "aws-cdk-lib's kubectl provider (Lambda in the VPC, ECR pulls of Helm charts): AWS managed policies"
        " are the documented minimum for a VPC Lambda; it runs only during deployments",
        _managed_policy("service-role/AWSLambdaBasicExecutionRole"),
        _managed_policy("service-role/AWSLambdaVPCAccessExecutionRole"),
        _managed_policy("AmazonEC2ContainerRegistryReadOnly"),
        f'{NAG}IAM4[Policy::{{"Fn::If":["ClusterKubectlProviderHandlerHasEcrPublic69E09706",{{"Fn::Join":["",'
        f'["arn:",{{"Ref":"AWS::Partition"}},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]}},'
        f'{{"Ref":"AWS::NoValue"}}]}}]',
        f"{NAG}IAM5[Resource::<ClusterKubectlProviderHandler2E05C68A.Arn>:*]",
        f"{NAG}L1",
    )
    _acknowledge(
        nodes.role,
        "the node role policies EKS documents for self-managed nodes (kubelet, VPC CNI, image pulls, SSM"
        " instead of SSH); AWS keeps them current with the services",
        *(_managed_policy(name) for name in NODE_MANAGED_POLICIES),
    )
    _acknowledge(
        nodes.auto_scaling_group,
        "EC26: the rule cannot read the mixed-instances launch template; its root volume is encrypted gp3"
        " (asserted in tests/test_spot_node_group.py). AS3: scaling activity is in the group's history and"
        " CloudWatch; wire an SNS topic into your own alerting if you want notifications",
        f"{NAG}EC26",
        f"{NAG}AS3",
    )


#: What aws-cdk-lib's grants put on a role that reads or writes one bucket and its KMS key. cdk-nag reports the
#: action wildcards; they stay inside the bucket the finding's resource names.
BUCKET_GRANT_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
BUCKET_GRANT_REASON = (
    "aws-cdk-lib's bucket/KMS grants: object-level wildcards confined to one bucket (named in the finding) and"
    " the data-key operations of its key"
)


def _iam5(*findings: str) -> list[str]:
    return [f"{NAG}IAM5[{finding}]" for finding in findings]


def _logical_id(resource: IConstruct) -> str:
    """The logical id cdk-nag writes, as ``<Id>`` or ``<Id.Attribute>``, for a resource inside a finding."""
    cfn = resource if isinstance(resource, CfnElement) else resource.node.default_child
    assert isinstance(cfn, CfnElement), resource.node.path
    return Stack.of(cfn).get_logical_id(cfn)


def _codebuild_log_findings(project: codebuild.CfnProject) -> list[str]:
    """A CodeBuild project's role writes its own logs and test reports (names suffixed by the build)."""
    from aws_cdk.region_info import RegionInfo

    stack = Stack.of(project)
    partition = RegionInfo.get(stack.region).partition
    where = f"{partition}:{{service}}:{stack.region}:{stack.account}"
    name = f"<{_logical_id(project)}>"
    return _iam5(
        f"Resource::arn:{where.format(service='codebuild')}:report-group/{name}-*",
        f"Resource::arn:{where.format(service='logs')}:log-group:/aws/codebuild/{name}:*",
    )


def acknowledge_pipeline_findings(pipeline: pipelines.CodePipeline, step_roles: Sequence[IConstruct]) -> None:
    """Accept what CDK Pipelines generates for its own roles: call after ``pipeline.build_pipeline()``."""
    stack = Stack.of(pipeline)
    code_pipeline = pipeline.pipeline
    artifacts = f"Resource::<{_logical_id(code_pipeline.artifact_bucket)}.Arn>/*"
    for scope in (pipeline, *step_roles):
        _acknowledge(scope, BUCKET_GRANT_REASON, *_iam5(*(f"Action::{a}" for a in BUCKET_GRANT_ACTIONS), artifacts))
    from aws_cdk.aws_codebuild import CfnProject

    projects = [node for node in stack.node.find_all() if isinstance(node, CfnProject)]
    _acknowledge(
        stack,
        "each pipeline CodeBuild project writes only its own log group and report groups (build-suffixed names)",
        *(finding for project in projects for finding in _codebuild_log_findings(project)),
    )
    # Replication buckets have generated physical names (they are referenced across regions).
    replication = [
        f"Resource::arn:aws:s3:::{stack.resolve(s.replication_bucket.bucket_name)}/*"
        for s in _cross_region(code_pipeline)
    ]
    _acknowledge(
        pipeline,
        "CDK Pipelines: the pipeline role assumes its action roles and reads cross-region replication buckets;"
        " self-mutation assumes the CDK bootstrap roles (cdk-*) and describes stacks; asset publishing writes"
        " the logs of projects it creates per asset",
        *_iam5(
            "Resource::*",
            f"Resource::arn:*:iam::{stack.account}:role/*",
            f"Resource::arn:aws:codebuild:{stack.region}:{stack.account}:report-group/*",
            f"Resource::arn:aws:logs:{stack.region}:{stack.account}:log-group:/aws/codebuild/*",
            *replication,
        ),
    )
    for bucket in (code_pipeline.artifact_bucket, *(s.replication_bucket for s in _cross_region(code_pipeline))):
        _acknowledge(
            bucket,
            "pipeline artifact/replication bucket: KMS-encrypted, SSL-only, written only by the pipeline; its"
            " S3 data events belong in the account's CloudTrail, not in a second log bucket",
            f"{NAG}S1",
        )


def _cross_region(code_pipeline: codepipeline.Pipeline) -> list[codepipeline.CrossRegionSupport]:
    return list(code_pipeline.cross_region_support.values())


def acknowledge_verifier_findings(role: iam.Role, project: codebuild.Project, script_bucket: str) -> None:
    """Accept what aws-cdk-lib grants a VPC CodeBuild project that reads a CDK asset."""
    _acknowledge(
        role,
        BUCKET_GRANT_REASON + "; here the CDK assets bucket holding the check script, and the build's own key",
        *_iam5(*(f"Action::{a}" for a in BUCKET_GRANT_ACTIONS), f"Resource::arn:aws:s3:::{script_bucket}/*"),
        *_codebuild_log_findings(_cfn_project(project)),
        *_iam5("Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*"),
    )
    _acknowledge(
        project,
        "CodeBuild in a VPC must call ec2:Describe* (subnets, security groups, DHCP options): no resource-level"
        " permissions exist for them",
        *_iam5("Resource::*"),
    )


def _cfn_project(project: codebuild.Project) -> codebuild.CfnProject:
    cfn = project.node.default_child
    from aws_cdk.aws_codebuild import CfnProject

    assert isinstance(cfn, CfnProject)
    return cfn
