"""How the self-managed nodes get into the cluster, and the authentication mode that decides it."""

from typing import cast

import cdk8s
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from podnet.charts.aws_auth_chart import AwsAuthChart
from podnet.config.model import AuthenticationMode
from podnet.constructs.overwriting_chart import apply_chart


class NodeAccess(Construct):
    """Sets the cluster's authentication mode and lets the node role in: an EC2_LINUX access entry in both modes,
    plus the aws-auth ConfigMap in API_AND_CONFIG_MAP.

    The entry exists in both modes, under one logical id, so a running cluster moves to API in two deploys: the
    first adds the entry next to aws-auth (EKS prefers the entry for the same role), the second flips the mode and
    drops aws-auth while the entry stays. EKS rejects access policies and Kubernetes groups on an EC2_LINUX entry
    (it grants the node identity itself); the CDK does not check that, tests/test_node_access.py does.
    aws_eks_v2 hard-codes mode API, hence the override. ``grants`` are what the nodes must wait for.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        node_role: iam.IRole,
        authentication_mode: AuthenticationMode,
        charts: cdk8s.App,
    ) -> None:
        super().__init__(scope, construct_id)
        cfn_cluster = cluster.node.default_child
        assert isinstance(cfn_cluster, eks.CfnCluster)
        cfn_cluster.add_property_override("AccessConfig.AuthenticationMode", authentication_mode)
        entry = eks.AccessEntry(
            self,
            "NodeAccessEntry",
            # Typing only: the jsii stub of Cluster lacks ICluster's kubectl_provider_options; at run time it is one.
            cluster=cast(eks.ICluster, cluster),
            principal=node_role.role_arn,
            access_entry_type=eks.AccessEntryType.EC2_LINUX,
            access_policies=[],
        )
        self.grants: list[IConstruct] = [entry]
        if authentication_mode == "API_AND_CONFIG_MAP":
            # On the cluster, where it has always been: its logical id (and the deployed ConfigMap) stay put. Applied
            # with overwrite, so a refactor that changes the logical id does not fail with AlreadyExists.
            aws_auth = AwsAuthChart(charts, "aws-auth", node_role_arn=node_role.role_arn)
            self.grants.append(apply_chart(cluster, "AwsAuth", aws_auth))
