"""The VPC CNI add-on version podnet pins for each Kubernetes version it supports.

Source: the EKS user guide's table of the latest ``vpc-cni`` add-on build per Kubernetes version ("Amazon VPC CNI
versions", https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html), which lists
``v1.22.4-eksbuild.3`` for 1.35 and 1.36 (read as published in August 2026). v1.22.4 is the first release with the
fix for aws/amazon-vpc-cni-k8s#3753 (v1.22.2 gave the node's primary IP to a pod; PR #3754), and it keeps v1.22.2's
revert of the security-group discovery that flooded EC2 with DescribeSecurityGroups calls (#3719, PR #3720).
Check a new pin with ``aws eks describe-addon-versions --addon-name vpc-cni --kubernetes-version <version>``.
"""

#: Kubernetes minor version -> the ``vpc-cni`` add-on version podnet installs (``cni.version`` overrides it).
VPC_CNI_VERSIONS = {
    "1.35": "v1.22.4-eksbuild.3",
    "1.36": "v1.22.4-eksbuild.3",
}


def pinned_vpc_cni_version(kubernetes_version: str) -> str:
    """podnet's pin for this Kubernetes version (one of SUPPORTED_KUBERNETES_VERSIONS, validated before)."""
    return VPC_CNI_VERSIONS[kubernetes_version]
