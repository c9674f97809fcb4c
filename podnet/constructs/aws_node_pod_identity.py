"""The VPC CNI's EC2 permissions for aws-node alone, through EKS Pod Identity, instead of on every node's role.

aws-node's ServiceAccount already exists (EKS installs the VPC CNI), so this creates the role and the
association directly rather than a new ServiceAccount.
"""

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.nag import acknowledge, iam5, managed_policy

CNI_POLICY = "AmazonEKS_CNI_Policy"
#: EC2 actions the pinned VPC CNI (v1.22.4, pkg/awsutils/awsutils.go) calls that AmazonEKS_CNI_Policy (v5, the
#: AWS managed policy reference) lacks: DescribeSecurityGroups (discoverCustomSecurityGroups, run with subnet
#: discovery, which is on by default; without it aws-node crash-looped, aws/amazon-vpc-cni-k8s#3704; upstream added
#: it to its recommended policy in PR #3709). tests/test_aws_node_pod_identity.py checks the union against the
#: calls in the source.
MISSING_FROM_CNI_POLICY = ("ec2:DescribeSecurityGroups",)
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-node"


class AwsNodePodIdentity(Construct):
    """Role + Pod Identity association for kube-system/aws-node, and the cluster's Pod Identity agent add-on.

    An association only affects pods created after it exists, and aws-node pods are created when nodes join:
    node groups must depend on :attr:`association` and :attr:`agent`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.Cluster) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags(),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(CNI_POLICY)],
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=list(MISSING_FROM_CNI_POLICY), resources=["*"]))
        acknowledge(
            self.role,
            "AmazonEKS_CNI_Policy is the policy AWS documents for the VPC CNI and keeps current with it; it now"
            " sits on aws-node's own role instead of every node's. ec2:DescribeSecurityGroups, which the policy"
            " lacks, supports no resource-level permissions, so its resource is '*'",
            managed_policy(CNI_POLICY),
            *iam5("Resource::*"),
        )
        self.association = eks.CfnPodIdentityAssociation(
            self,
            "Association",
            cluster_name=cluster.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=self.role.role_arn,
        )
        # The one eks-pod-identity-agent add-on of the cluster (created by whichever construct asks first).
        agent = cluster.eks_pod_identity_agent
        assert agent is not None, "aws_eks_v2.Cluster creates the agent add-on on first access"
        self.agent: eks.IAddon = agent
