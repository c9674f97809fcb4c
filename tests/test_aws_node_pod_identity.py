"""aws-node gets the VPC CNI's EC2 permissions through EKS Pod Identity; the node role no longer has them."""

from typing import Any, cast

from tests.support.cfn_tokens import render
from tests.support.kubectl import aws_node_daemonset
from tests.support.synth import Synthesized

CNI_POLICY = "AmazonEKS_CNI_Policy"


def _aws_node_association(app: Synthesized) -> dict[str, Any]:
    (association,) = [
        cast(dict[str, Any], r["Properties"])
        for r in app.resources("cluster", "AWS::EKS::PodIdentityAssociation").values()
        if r["Properties"]["ServiceAccount"] == "aws-node"
    ]
    return association


def _managed_policies(role: dict[str, Any]) -> set[str]:
    return {render(arn).rsplit("/", 1)[1] for arn in role["Properties"].get("ManagedPolicyArns", [])}


def test_association_targets_the_service_account_of_the_upstream_daemonset(default_app: Synthesized) -> None:
    association = _aws_node_association(default_app)
    daemonset = aws_node_daemonset()
    assert association["ServiceAccount"] == daemonset["spec"]["template"]["spec"]["serviceAccountName"]
    assert association["Namespace"] == daemonset["metadata"]["namespace"]
    (cluster_id,) = default_app.resources("cluster", "AWS::EKS::Cluster")
    assert association["ClusterName"] == {"Ref": cluster_id}


def test_role_trusts_pod_identity_and_holds_only_the_cni_policy(default_app: Synthesized) -> None:
    role_id = _aws_node_association(default_app)["RoleArn"]["Fn::GetAtt"][0]
    role = default_app.cluster["Resources"][role_id]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["Effect"] == "Allow" and "Condition" not in trust
    assert _managed_policies(role) == {CNI_POLICY}
    assert not [
        p
        for p in default_app.resources("cluster", "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ], "no inline permissions beyond the CNI policy"


def test_no_node_role_has_the_cni_policy(default_app: Synthesized) -> None:
    roles = default_app.resources("cluster", "AWS::IAM::Role")
    ec2_roles = [
        r
        for r in roles.values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    ]
    assert ec2_roles, "no node role found"
    assert all(CNI_POLICY not in _managed_policies(role) for role in ec2_roles)


def test_one_pod_identity_agent_add_on(default_app: Synthesized) -> None:
    """aws-node's, NTH's and CA's associations share the cluster's one agent (a second add-on would fail to deploy)."""
    addons = [a["Properties"]["AddonName"] for a in default_app.resources("cluster", "AWS::EKS::Addon").values()]
    assert sorted(addons) == ["coredns", "eks-pod-identity-agent"]
    # aws-node, NTH and the Cluster Autoscaler.
    assert len(default_app.resources("cluster", "AWS::EKS::PodIdentityAssociation")) == 3


def test_imds_hop_limit_stays_one(default_app: Synthesized) -> None:
    """Pods reach AWS through Pod Identity, not the node's instance profile."""
    templates = default_app.resources("cluster", "AWS::EC2::LaunchTemplate").values()
    assert len(templates) == 2, "the spot nodes' and the system nodes'"
    for template in templates:
        assert template["Properties"]["LaunchTemplateData"]["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
