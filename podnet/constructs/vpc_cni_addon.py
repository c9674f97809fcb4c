"""The VPC CNI as the EKS managed add-on ``vpc-cni``, at the version podnet pins, with podnet's aws-node settings."""

import json
from collections.abc import Mapping

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

ADDON_NAME = "vpc-cni"
#: Creating the add-on over the aws-node EKS bootstrapped needs OVERWRITE (or NONE when nothing conflicts); on an
#: update, OVERWRITE re-applies ``ConfigurationValues``, which carry the same env as the aws-node patch.
RESOLVE_CONFLICTS = "OVERWRITE"


def configuration_values(env: Mapping[str, str]) -> str:
    """The add-on's ``ConfigurationValues``: aws-node's env (the add-on schema's ``env`` object)."""
    return json.dumps({"env": dict(env)}, sort_keys=True)


class VpcCniAddon(Construct):
    """``AWS::EKS::Addon`` vpc-cni, pinned, carrying ``env`` (the variables the aws-node patch sets).

    EKS installs a self-managed aws-node with every new cluster; this add-on takes it over (OVERWRITE) before the
    patch runs and before any node joins. The patch stays, as users asked, but podnet does not rely on PRESERVE:
    every add-on update podnet makes (a new ``cni.version``, a new env) is an OVERWRITE with the same env in
    ``ConfigurationValues``, so custom networking (or subnet discovery) and the warm pool survive it.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, cluster: eks.Cluster, version: str, env: Mapping[str, str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.addon = eks.CfnAddon(
            self,
            "Addon",
            addon_name=ADDON_NAME,
            cluster_name=cluster.cluster_name,
            addon_version=version,
            resolve_conflicts=RESOLVE_CONFLICTS,
            configuration_values=configuration_values(env),
        )
