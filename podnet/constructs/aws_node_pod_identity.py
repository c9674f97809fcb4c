"""The VPC CNI's EC2 permissions for aws-node alone, through EKS Pod Identity, instead of on every node's role.

aws-node's ServiceAccount already exists (EKS installs the VPC CNI), so this creates the role and the
association directly rather than a new ServiceAccount.
"""

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from podnet.nag import acknowledge, managed_policy

CNI_POLICY = "AmazonEKS_CNI_Policy"
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
        acknowledge(
            self.role,
            "AmazonEKS_CNI_Policy is the policy AWS documents for the VPC CNI and keeps current with it; it now"
            " sits on aws-node's own role instead of every node's",
            managed_policy(CNI_POLICY),
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
