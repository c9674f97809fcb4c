"""A Kubernetes service account whose pods get AWS credentials through EKS Pod Identity."""

from typing import cast

from aws_cdk import CfnResource
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct


def pod_identity_service_account(
    scope: Construct, *, cluster: eks.Cluster, name: str, namespace: str
) -> eks.ServiceAccount:
    """``scope/ServiceAccount``: the account, its IAM role and association, and (once per cluster) the agent add-on.

    For a Helm chart: set the chart's ``serviceAccount.create`` to false, use ``name``, and make the chart depend
    on the returned account (an association only affects pods created after it).
    """
    account = eks.ServiceAccount(
        scope,
        "ServiceAccount",
        # jsii's Python typing of Cluster lacks ICluster.kubectl_provider_options; the object has it.
        cluster=cast(eks.ICluster, cluster),
        name=name,
        namespace=namespace,
        identity_type=eks.IdentityType.POD_IDENTITY,
    )
    # Applied with overwrite (``kubectl apply`` on create too), like podnet's other manifests: a create that finds
    # the account already there (a logical id changed by a refactor, a retried deploy) updates it, not fails.
    manifest = next(child for child in account.node.find_all() if isinstance(child, eks.KubernetesManifest))
    cfn_manifest = manifest.node.default_child
    assert isinstance(cfn_manifest, CfnResource)
    cfn_manifest.add_property_override("Overwrite", True)
    return account
