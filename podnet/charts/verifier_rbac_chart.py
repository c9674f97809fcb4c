"""Kubernetes RBAC for the pipeline's custom-networking check: read what it inspects, run pods in one namespace."""

from typing import Any

import cdk8s
from constructs import Construct

RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
#: Pod Security Admission: pods in the check's namespace must meet the "restricted" standard (no privileged or host
#: access, non-root, no added capabilities, RuntimeDefault seccomp), so the right to create pods there is not root
#: on a node. scripts/verify_custom_networking.py's probe pod meets it.
PSA_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}


class VerifierRbacChart(cdk8s.Chart):
    """The check's Kubernetes group may read nodes, ENIConfigs and the aws-node DaemonSet, and manage pods only in
    its own namespace.

    EKS access policies cannot express this: AmazonEKSViewPolicy (like the Kubernetes ``view`` role) covers neither
    nodes nor the ENIConfig custom resource, and AmazonEKSEditPolicy would also allow Secrets, Deployments and more.
    """

    def __init__(self, scope: Construct, construct_id: str, *, group: str, namespace: str) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        subjects = [{"kind": "Group", "name": group, "apiGroup": "rbac.authorization.k8s.io"}]
        cdk8s.ApiObject(
            self, "namespace", api_version="v1", kind="Namespace", metadata={"name": namespace, "labels": PSA_LABELS}
        )
        self._bound_role(
            "ClusterRole",
            {"name": "podnet-verify"},
            [
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},
                {"apiGroups": [""], "resources": ["namespaces"], "resourceNames": [namespace], "verbs": ["get"]},
                {"apiGroups": ["crd.k8s.amazonaws.com"], "resources": ["eniconfigs"], "verbs": ["get", "list"]},
            ],
            subjects,
        )
        self._bound_role(
            "Role",
            {"name": "podnet-verify-aws-node", "namespace": "kube-system"},
            [{"apiGroups": ["apps"], "resources": ["daemonsets"], "resourceNames": ["aws-node"], "verbs": ["get"]}],
            subjects,
        )
        self._bound_role(
            "Role",
            {"name": "podnet-verify-pods", "namespace": namespace},
            [
                {
                    "apiGroups": [""],
                    "resources": ["pods"],
                    "verbs": ["create", "get", "list", "watch", "delete", "deletecollection", "patch"],
                }
            ],
            subjects,
        )

    def _bound_role(
        self, kind: str, metadata: dict[str, str], rules: list[dict[str, Any]], subjects: list[dict[str, str]]
    ) -> None:
        role = cdk8s.ApiObject(
            self, f"{metadata['name']}-role", api_version=RBAC_API_VERSION, kind=kind, metadata=metadata
        )
        role.add_json_patch(cdk8s.JsonPatch.add("/rules", rules))
        binding = cdk8s.ApiObject(
            self, f"{metadata['name']}-binding", api_version=RBAC_API_VERSION, kind=f"{kind}Binding", metadata=metadata
        )
        binding.add_json_patch(cdk8s.JsonPatch.add("/subjects", subjects))
        binding.add_json_patch(
            cdk8s.JsonPatch.add(
                "/roleRef", {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": metadata["name"]}
            )
        )
