"""The upstream ``aws-node`` env settings that custom networking touches, and patches built from them.

A ``KubernetesPatch`` applies its ``restore_patch`` on delete. Variables the upstream DaemonSet already sets (e.g.
``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=false``) must be reset to their upstream value, not deleted, and only the
variables upstream lacks may be deleted. The upstream values are read from the fixture manifest, never restated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tests.support.kubectl import aws_node_daemonset

CUSTOM_NETWORKING_ENV = (
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    "ENI_CONFIG_LABEL_DEF",
    "ENABLE_PREFIX_DELEGATION",
    "ENABLE_SUBNET_DISCOVERY",
    "WARM_PREFIX_TARGET",
    "WARM_IP_TARGET",
    "MINIMUM_IP_TARGET",
    "CLUSTER_NAME",
)
"""The aws-node variables podnet may set (pod networking mode, prefix delegation, warm pool)."""


def _upstream_entries(container: str) -> dict[str, dict[str, Any]]:
    for spec in aws_node_daemonset()["spec"]["template"]["spec"]["containers"]:
        if spec["name"] == container:
            return {entry["name"]: entry for entry in spec.get("env", [])}
    raise LookupError(f"upstream aws-node DaemonSet has no container {container!r}")


def upstream_env(names: Iterable[str] = CUSTOM_NETWORKING_ENV, container: str = "aws-node") -> dict[str, str | None]:
    """Upstream value of each variable in ``names``; ``None`` where upstream does not set it."""
    entries = _upstream_entries(container)
    result: dict[str, str | None] = {}
    for name in names:
        entry = entries.get(name)
        if entry is not None and "value" not in entry:
            raise ValueError(f"upstream {name} is not a literal value: {entry}")
        result[name] = None if entry is None else entry["value"]
    return result


def _container_patch(container: str, env: list[dict[str, str]]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": container, "env": env}]}}}}


def env_patch(env: Mapping[str, str], container: str = "aws-node") -> dict[str, Any]:
    """Strategic merge patch that sets ``env`` on ``container`` (env entries merge on ``name``)."""
    return _container_patch(container, [{"name": name, "value": value} for name, value in env.items()])


def restore_patch(names: Iterable[str], container: str = "aws-node") -> dict[str, Any]:
    """Undo of :func:`env_patch` for ``names``: reset what upstream sets, ``$patch: delete`` what it lacks."""
    env: list[dict[str, str]] = []
    for name, value in upstream_env(names, container).items():
        env.append({"name": name, "$patch": "delete"} if value is None else {"name": name, "value": value})
    return _container_patch(container, env)
