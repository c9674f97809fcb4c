"""The cluster's ``eks-pod-identity-agent`` add-on at a pinned version, moved with the Kubernetes version.

Unpinned, CloudFormation installs whatever version EKS calls the default on the day of the first deploy and never
moves it; pinned, every cluster of one Kubernetes version runs the same agent, and an upgrade moves it with the
control plane. Check a version with ``aws eks describe-addon-versions --addon-name eks-pod-identity-agent
--kubernetes-version <version>``.
"""

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

#: Kubernetes minor version -> add-on version. 1.35: the version awslabs/cdk-eks-blueprints pins for 1.31 to
#: 1.35 (``lib/addons/eks-pod-identity-agent/index.ts``, commit 0b82904e "EKS Kubernetes 1.35 support"). 1.36: the
#: same build, which no public source lists for 1.36 yet: not confirmed.
AGENT_VERSIONS = {"1.35": "v1.3.10-eksbuild.2", "1.36": "v1.3.10-eksbuild.2"}


class PodIdentityAgentVersion(Construct):
    """Pins the version of the agent add-on ``aws_eks_v2`` creates once per cluster (for the first Pod Identity
    service account or ``cluster.eks_pod_identity_agent``)."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.Cluster, kubernetes_version: str) -> None:
        super().__init__(scope, construct_id)
        agent = cluster.eks_pod_identity_agent
        assert agent is not None, "aws_eks_v2.Cluster creates the agent add-on on first access"
        cfn_addon = agent.node.default_child
        assert isinstance(cfn_addon, eks.CfnAddon)
        cfn_addon.addon_version = AGENT_VERSIONS[kubernetes_version]
