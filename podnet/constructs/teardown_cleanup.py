"""A delete-time custom resource that removes what the VPC CNI and EKS leave behind, so ``cdk destroy`` finishes."""

from pathlib import Path

from aws_cdk import CustomResource, Duration, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.nag import acknowledge, iam5, logical_id, skip_checkov

HANDLER_DIR = Path(__file__).parent.parent / "functions" / "teardown_cleanup"
#: The CNI tag every ENI it creates carries (see the handler); IAM lets the function delete only such ENIs.
CNI_NODE_TAG = "node.k8s.amazonaws.com/instance_id"
EKS_CLUSTER_TAG = "aws:eks:cluster-name"
#: Long enough for a terminating node's ENIs to detach; the handler gives up 45 s before, with a clear message.
TIMEOUT = Duration.minutes(10)


class TeardownCleanup(Construct):
    """``Custom::PodnetTeardownCleanup``: on Delete, removes available VPC CNI ENIs in the pod subnets and the
    cluster's orphaned ``eks-cluster-sg-<cluster>-*`` group (podnet/functions/teardown_cleanup/handler.py).

    Its properties name every pod subnet, so it depends on them: CloudFormation deletes it, and runs the cleanup,
    before the subnets. The stack makes the EKS cluster and the node groups depend on ``resource``, so the cleanup
    runs after they are gone. The function may delete
    only ENIs in those subnets that carry the CNI's tag, and only security groups in this VPC tagged with this
    cluster's name; Describe calls have no resource-level permissions in IAM.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        pod_subnets: list[ec2.CfnSubnet],
        cluster_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{cluster_name}: delete the cluster's leftover CNI ENIs and security group on teardown",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups"], resources=["*"]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:DeleteNetworkInterface"],
                resources=[stack.format_arn(service="ec2", resource="network-interface", resource_name="*")],
                conditions={
                    "StringEquals": {
                        "ec2:Subnet": [_arn(stack, "subnet", subnet.attr_subnet_id) for subnet in pod_subnets],
                    },
                    "Null": {f"aws:ResourceTag/{CNI_NODE_TAG}": "false"},
                },
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:DeleteSecurityGroup"],
                resources=[stack.format_arn(service="ec2", resource="security-group", resource_name="*")],
                conditions={
                    "StringEquals": {
                        "ec2:Vpc": _arn(stack, "vpc", vpc.vpc_id),
                        f"aws:ResourceTag/{EKS_CLUSTER_TAG}": cluster_name,
                    }
                },
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["eks:DescribeCluster"],
                resources=[stack.format_arn(service="eks", resource="cluster", resource_name=cluster_name)],
            )
        )
        function_logs = logs.LogGroup(
            self, "FunctionLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=LogEncryptionKey.of(self).key
        )
        function_logs.grant_write(role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.on_event",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"]),
            timeout=TIMEOUT,
            role=role,
            log_group=function_logs,
            description=f"{cluster_name}: teardown cleanup of the pod subnets (podnet)",
        )
        provider_logs = logs.LogGroup(
            self, "ProviderLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=LogEncryptionKey.of(self).key
        )
        provider_role = iam.Role(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{cluster_name}: custom-resource framework of the teardown cleanup",
        )
        provider_logs.grant_write(provider_role)
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.function,
            log_group=provider_logs,
            framework_on_event_role=provider_role,
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::PodnetTeardownCleanup",
            properties={
                "ClusterName": cluster_name,
                "VpcId": vpc.vpc_id,
                "PodSubnetIds": [subnet.attr_subnet_id for subnet in pod_subnets],
            },
        )
        # If a function logged before CloudFormation created its log group, creating the group would fail.
        self.resource.node.add_dependency(function_logs, provider_logs)
        acknowledge(
            role,
            "ec2:Describe* have no resource-level permissions in IAM; deletes are confined by conditions to the"
            " pod subnets (CNI-tagged ENIs) and this VPC's groups tagged with this cluster's name",
            *iam5(
                "Resource::*",
                f"Resource::{_nag_arn(stack, 'network-interface/*')}",
                f"Resource::{_nag_arn(stack, 'security-group/*')}",
            ),
        )
        acknowledge(
            provider_role,
            "aws-cdk-lib's custom-resource provider framework invokes the cleanup function and its versions"
            " (<function ARN>:*), nothing else",
            *iam5(f"Resource::<{logical_id(self.function)}.Arn>:*"),
        )
        skip_checkov(
            self,
            "AWS::Lambda::Function",
            "the cleanup and its custom-resource framework run only when CloudFormation calls them (stack delete),"
            " synchronously: a failure fails the stack operation, which is the failure handling, and no queue"
            " could retry it; they call AWS APIs only (outside the VPC, so a VPC being torn down cannot strand"
            " them); the framework's environment holds the function's name, no secret",
            "CKV_AWS_115",
            "CKV_AWS_116",
            "CKV_AWS_117",
            "CKV_AWS_173",
        )


def _nag_arn(stack: Stack, resource: str) -> str:
    """An EC2 ARN of this stack as cdk-nag writes it in a finding (unknown account/region as <AWS::...>)."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.region) else RegionInfo.get(stack.region).partition
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    return f"arn:{partition}:ec2:{region}:{account}:{resource}"


def _arn(stack: Stack, resource: str, resource_id: str) -> str:
    return stack.format_arn(service="ec2", resource=resource, resource_name=resource_id)
