"""CoreDNS as the EKS add-on, placed on the system nodes so that cluster DNS survives a spot pool's reclaim.

EKS installs CoreDNS itself when it creates a cluster (a self-managed Deployment); the add-on takes it over
(``ResolveConflicts`` OVERWRITE) with the scheduling podnet needs. Its ``configurationValues`` accept
``nodeSelector`` and ``tolerations`` (``aws eks describe-addon-configuration --addon-name coredns`` shows the schema
of each version; not confirmed for every version offline).
"""

from typing import cast

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from podnet.constructs.system_nodes import CONTROLLER_PLACEMENT, SystemNodes

#: The toleration the add-on's own default carries; a configured ``tolerations`` list replaces the default.
CRITICAL_ADDONS_ONLY = {"key": "CriticalAddonsOnly", "operator": "Exists"}


class CoreDns(Construct):
    """The ``coredns`` add-on in the version EKS picks for the cluster's Kubernetes version, on the system nodes."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.Cluster, system_nodes: SystemNodes) -> None:
        super().__init__(scope, construct_id)
        self.addon = eks.Addon(
            self,
            "Addon",
            addon_name="coredns",
            # jsii's Python typing of Cluster lacks ICluster.kubectl_provider_options; the object has it.
            cluster=cast(eks.ICluster, cluster),
            configuration_values={
                "nodeSelector": CONTROLLER_PLACEMENT["nodeSelector"],
                "tolerations": [*CONTROLLER_PLACEMENT["tolerations"], CRITICAL_ADDONS_ONLY],
            },
        )
        cfn_addon = self.addon.node.default_child
        assert isinstance(cfn_addon, eks.CfnAddon)
        # EKS created a self-managed CoreDNS with the cluster: the add-on replaces its settings with these.
        cfn_addon.resolve_conflicts = "OVERWRITE"
        # The add-on's pods have somewhere to run once it is created.
        self.addon.node.add_dependency(*(group.auto_scaling_group for group in system_nodes.groups))
