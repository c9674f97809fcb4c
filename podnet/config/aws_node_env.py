"""The aws-node env podnet sets, and the values EKS installs, so the restore patch can put them back."""

#: aws-node env of the VPC CNI as EKS installs it (v1.23.1 manifest; tests check the copy in tests/fixtures).
#: None: the variable is absent upstream.
UPSTREAM_ENV: dict[str, str | None] = {
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
    "ENI_CONFIG_LABEL_DEF": None,
    "ENABLE_PREFIX_DELEGATION": "false",
    "ENABLE_SUBNET_DISCOVERY": "true",
    "WARM_PREFIX_TARGET": "1",
    "WARM_IP_TARGET": None,
    "MINIMUM_IP_TARGET": None,
    "CLUSTER_NAME": None,
}
#: podnet's WARM_PREFIX_TARGET when ``cni.warmPrefixTarget`` is not set (one spare /28 per node).
DEFAULT_WARM_PREFIX_TARGET = 1


def aws_node_env(
    *,
    prefix_delegation: bool,
    subnet_discovery: bool,
    cluster_name: str,
    warm_ip_target: int | None = None,
    minimum_ip_target: int | None = None,
    warm_prefix_target: int | None = None,
) -> dict[str, str]:
    """The aws-node variables podnet sets: the pod networking mode, prefix delegation and the warm pool.

    Every variable podnet manages is set in every mode (the same names, only values differ): on an update the
    KubernetesPatch handler applies just the new apply patch, so a variable left out would keep the value an
    earlier deploy gave it (prefix delegation switched off would stay on). ``0`` is "not set" for WARM_IP_TARGET and
    MINIMUM_IP_TARGET (ipamd's ``noWarmIPTarget``, ``noMinimumIPTarget``, v1.22.4 pkg/ipamd/ipamd.go lines 80, 91).
    With custom networking ENI_CONFIG_LABEL_DEF picks each node's ENIConfig; with subnet discovery custom
    networking is off, so the CNI places pod ENIs in subnets tagged for this cluster (CLUSTER_NAME).
    """
    # In the upstream DaemonSet's order (variables upstream lacks last): a strategic merge patch reorders list
    # entries that it names out of order, and the restore patch must give back the DaemonSet exactly.
    return {
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false" if subnet_discovery else "true",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
        "ENABLE_PREFIX_DELEGATION": "true" if prefix_delegation else "false",
        "ENABLE_SUBNET_DISCOVERY": "true",
        "WARM_PREFIX_TARGET": str(DEFAULT_WARM_PREFIX_TARGET if warm_prefix_target is None else warm_prefix_target),
        "WARM_IP_TARGET": str(warm_ip_target or 0),
        "MINIMUM_IP_TARGET": str(minimum_ip_target or 0),
        "CLUSTER_NAME": cluster_name,
    }
