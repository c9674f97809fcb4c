"""Set podnet's pod networking mode and warm pool in the aws-node DaemonSet, and restore EKS's on delete."""

from collections.abc import Mapping
from typing import cast

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from podnet.config.aws_node_env import UPSTREAM_ENV


def _container_env_patch(env: list[dict[str, str]]) -> dict[str, object]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": env}]}}}}


class AwsNodeCustomNetworking(Construct):
    """A strategic-merge KubernetesPatch on kube-system/daemonset/aws-node.

    The restore patch returns the env exactly to what it was: variables podnet changed get their upstream
    value back, variables podnet added are removed (``$patch: delete`` on the list entry).
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.Cluster, env: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        restore: list[dict[str, str]] = []
        for name in env:
            original = UPSTREAM_ENV[name]
            restore.append(
                {"name": name, "$patch": "delete"} if original is None else {"name": name, "value": original}
            )
        self.patch = eks.KubernetesPatch(
            self,
            "Patch",
            # jsii's Python typing of Cluster lacks ICluster.kubectl_provider_options; the object has it.
            cluster=cast(eks.ICluster, cluster),
            resource_name="daemonset/aws-node",
            resource_namespace="kube-system",
            patch_type=eks.PatchType.STRATEGIC,
            apply_patch=_container_env_patch([{"name": name, "value": value} for name, value in env.items()]),
            restore_patch=_container_env_patch(restore),
        )
