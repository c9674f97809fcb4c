"""AL2023 user data: a MIME multipart document holding a nodeadm NodeConfig (no bootstrap.sh on AL2023)."""

from collections.abc import Sequence
from typing import Any

import yaml
from aws_cdk import aws_ec2 as ec2

NODECONFIG_CONTENT_TYPE = "application/node.eks.aws"


def node_config(
    *,
    cluster_name: str,
    api_server_endpoint: str,
    certificate_authority: str,
    service_cidr: str,
    max_pods: str,
    kubelet_flags: Sequence[str] = (),
) -> dict[str, Any]:
    """The NodeConfig a self-managed node needs to join, with a per-instance max-pods CEL expression.

    ``maxPodsExpression`` (not a static ``kubelet.config.maxPods``): nodeadm sizes kube-reserved memory from
    the value it computes, so the expression keeps both right for every instance type of the spot pool.
    ``kubelet_flags`` (``--node-labels``, ``--register-with-taints``) go to ``kubelet.flags``.
    """
    kubelet: dict[str, Any] = {"maxPodsExpression": max_pods}
    if kubelet_flags:
        kubelet["flags"] = list(kubelet_flags)
    return {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {
            "cluster": {
                "name": cluster_name,
                "apiServerEndpoint": api_server_endpoint,
                "certificateAuthority": certificate_authority,
                "cidr": service_cidr,
            },
            "kubelet": kubelet,
        },
    }


def nodeadm_user_data(config: dict[str, Any]) -> ec2.MultipartUserData:
    """Wrap a NodeConfig as the ``application/node.eks.aws`` part nodeadm reads at boot."""
    user_data = ec2.MultipartUserData()
    user_data.add_part(
        ec2.MultipartBody.from_raw_body(
            content_type=NODECONFIG_CONTENT_TYPE, body=yaml.safe_dump(config, sort_keys=False, width=2**16)
        )
    )
    return user_data
