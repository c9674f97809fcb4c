"""Turn VPC CNI custom networking on in the aws-node DaemonSet, and off again on delete."""

from typing import cast

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

#: aws-node env of the VPC CNI as EKS installs it (v1.23.1 manifest; tests check the copy in tests/fixtures).
#: None: the variable is absent upstream.
UPSTREAM_ENV: dict[str, str | None] = {
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
    "ENI_CONFIG_LABEL_DEF": None,
    "ENABLE_PREFIX_DELEGATION": "false",
    "WARM_PREFIX_TARGET": "1",
}


def custom_networking_env(*, prefix_delegation: bool) -> dict[str, str]:
    """The aws-node variables podnet sets: custom networking keyed by AZ, prefix delegation on or off.

    Every variable podnet manages is set in every mode (the same names, only values differ): on an update the
    KubernetesPatch handler applies just the new apply patch, so a variable left out would keep the value an
    earlier deploy gave it (prefix delegation switched off would stay on).
    """
    return {
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
        "ENABLE_PREFIX_DELEGATION": "true" if prefix_delegation else "false",
        "WARM_PREFIX_TARGET": "1",
    }


def _container_env_patch(env: list[dict[str, str]]) -> dict[str, object]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": env}]}}}}


class AwsNodeCustomNetworking(Construct):
    """A strategic-merge KubernetesPatch on kube-system/daemonset/aws-node.

    The restore patch returns the env exactly to what it was: variables podnet changed get their upstream
    value back, variables podnet added are removed (``$patch: delete`` on the list entry).
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.Cluster, prefix_delegation: bool) -> None:
        super().__init__(scope, construct_id)
        env = custom_networking_env(prefix_delegation=prefix_delegation)
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
