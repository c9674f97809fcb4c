"""aws-node gets the VPC CNI's EC2 permissions through EKS Pod Identity; the node role no longer has them."""

import json
import re
from typing import Any, cast

from podnet.constructs.aws_node_pod_identity import MISSING_FROM_CNI_POLICY
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render
from tests.support.kubectl import aws_node_daemonset
from tests.support.synth import Synthesized

CNI_POLICY = "AmazonEKS_CNI_Policy"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "upstream"
#: Calls the CNI makes only in IPv6 clusters (podnet is IPv4), which AmazonEKS_CNI_Policy leaves to the IPv6 policy.
IPV6_ONLY = {"ec2:AssignIpv6Addresses", "ec2:UnassignIpv6Addresses"}


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


def test_role_trusts_pod_identity_and_holds_the_cni_policy_and_what_it_lacks(default_app: Synthesized) -> None:
    role_id = _aws_node_association(default_app)["RoleArn"]["Fn::GetAtt"][0]
    role = default_app.cluster["Resources"][role_id]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["Effect"] == "Allow" and "Condition" not in trust
    assert _managed_policies(role) == {CNI_POLICY}
    assert _inline_statements(default_app, role_id) == [
        {"Action": "ec2:DescribeSecurityGroups", "Effect": "Allow", "Resource": "*"}
    ]


def _inline_statements(app: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in app.resources("cluster", "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _cni_policy_actions() -> set[str]:
    """AmazonEKS_CNI_Policy's actions: the first (IPv4) policy of upstream's IAM page, which says it is that policy."""
    page = (FIXTURES / "iam-policy-v1.22.4.md").read_text()
    assert "also available under: `arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy`" in page
    document = json.loads(page.split("```", 2)[1])
    return {action for statement in document["Statement"] for action in statement["Action"]}


def _ec2_calls_of_the_pinned_cni() -> set[str]:
    """Every EC2 API the pinned VPC CNI's client code calls (``cache.ec2SVC.<Action>(``)."""
    source = (FIXTURES / "awsutils-v1.22.4.go").read_text()
    return {f"ec2:{action}" for action in re.findall(r"\.ec2SVC\.([A-Z][A-Za-z0-9]+)\(", source)}


def test_aws_node_may_call_every_ipv4_ec2_action_of_the_pinned_cni(default_app: Synthesized) -> None:
    """The managed policy lacks DescribeSecurityGroups (subnet discovery calls it); podnet adds exactly that."""
    calls = _ec2_calls_of_the_pinned_cni() - IPV6_ONLY
    assert {"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:CreateNetworkInterface"} <= calls
    policy = _cni_policy_actions()
    assert calls - policy == {"ec2:DescribeSecurityGroups"}
    role_id = _aws_node_association(default_app)["RoleArn"]["Fn::GetAtt"][0]
    inline = {s["Action"] for s in _inline_statements(default_app, role_id) if s["Effect"] == "Allow"}
    assert calls <= policy | inline
    assert set(MISSING_FROM_CNI_POLICY) == calls - policy


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
    assert sorted(addons) == ["coredns", "eks-pod-identity-agent", "vpc-cni"]
    # aws-node, NTH and the Cluster Autoscaler.
    assert len(default_app.resources("cluster", "AWS::EKS::PodIdentityAssociation")) == 3


def test_imds_hop_limit_stays_one(default_app: Synthesized) -> None:
    """Pods reach AWS through Pod Identity, not the node's instance profile."""
    templates = default_app.resources("cluster", "AWS::EC2::LaunchTemplate").values()
    assert len(templates) == 2, "the spot nodes' and the system nodes'"
    for template in templates:
        assert template["Properties"]["LaunchTemplateData"]["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
