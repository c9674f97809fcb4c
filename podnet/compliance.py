"""cdk-nag (AwsSolutions) findings podnet accepts: every one scoped to the construct it is about, with a reason.

Kept in one place so a security review reads every exception at once. Fixed rather than acknowledged: VPC flow
logs, KMS-encrypted secrets with rotation, all control-plane logs, private endpoint, IMDSv2, encrypted volumes,
no SSH key. cdk-nag's EKS rules do not recognise the aws_eks_v2 cluster; tests assert those settings instead.
"""

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_eks_v2 as eks
from constructs import IConstruct

from podnet.constructs.spot_node_group import NODE_MANAGED_POLICIES, SpotNodeGroup

NAG = "AwsSolutions::AwsSolutions-"


def _managed_policy(name: str) -> str:
    return f"{NAG}IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]"


def _acknowledge(scope: IConstruct, reason: str, *rules: str) -> None:
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule, reason=reason) for rule in rules))


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
