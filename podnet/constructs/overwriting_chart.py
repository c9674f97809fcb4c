"""A cdk8s chart applied to the cluster with overwrite, under the logical id ``add_cdk8s_chart`` gives it."""

from typing import cast

import cdk8s
from aws_cdk import aws_eks_v2 as eks


def apply_chart(cluster: eks.Cluster, construct_id: str, chart: cdk8s.Chart) -> eks.KubernetesManifest:
    """Like ``Cluster.add_cdk8s_chart`` (same construct path, so the same logical id), but with overwrite:
    Create runs ``kubectl apply`` instead of ``kubectl create``, which fails if the objects already exist (a
    refactor that changes a logical id would otherwise fail with AlreadyExists)."""
    return eks.KubernetesManifest(
        cluster,
        construct_id,
        # jsii's Python typing of Cluster lacks ICluster.kubectl_provider_options; the object has it.
        cluster=cast(eks.ICluster, cluster),
        manifest=chart.to_json(),
        overwrite=True,
    )
