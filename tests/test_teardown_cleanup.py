"""The teardown cleanup custom resource in the synthesized cluster stack: order, scope of its IAM, its code.

What the function does is tested against moto in tests/test_teardown_cleanup_function.py; here: that
CloudFormation runs it at the right moment, that IAM lets it delete nothing else, and what destroy keeps.
CloudFormation deletes a resource before everything it depends on, so the order on delete is the creation order
reversed: the nodes and the cluster (which depend on the cleanup), then the cleanup, then the pod subnets.
"""

import json
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from podnet.constructs.teardown_cleanup import HANDLER_DIR
from tests.support.cfn_graph import created_before, depends_on, references
from tests.support.synth import Synthesized

APPS = ["default_app", "origin_app", "existing_vpc_app"]

#: Actions, resource types and their condition keys, from the Service Authorization Reference (shipped by cfn-lint).
POLICIES_JSON = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"


def _resource(app: Synthesized) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = app.resources("cluster", "Custom::PodnetTeardownCleanup").items()
    return logical_id, resource


def _pod_subnet_ids(app: Synthesized) -> set[str]:
    return {
        lid
        for lid, subnet in app.resources("cluster", "AWS::EC2::Subnet").items()
        if any(IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(block) for block in app.config.pod_cidrs)
    }


def _vpc_id(app: Synthesized) -> Any:
    """The VPC id as the cluster stack writes it: the existing VPC's literal id, or the network stack's export
    (the pod subnets, tests/test_pod_subnets.py, show which export that is)."""
    if app.config.existing_vpc is not None:
        return app.config.existing_vpc.vpc_id
    (vpc_id,) = {
        subnet["Properties"]["VpcId"]["Fn::ImportValue"]
        for subnet in app.resources("cluster", "AWS::EC2::Subnet").values()
    }
    return {"Fn::ImportValue": vpc_id}


@pytest.mark.parametrize("app_name", APPS)
def test_cleanup_runs_before_every_pod_subnet_is_deleted(app_name: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_name)
    logical_id, resource = _resource(app)
    pod_subnets = _pod_subnet_ids(app)
    assert pod_subnets
    assert created_before(app.cluster, logical_id) >= pod_subnets
    # ... and it is told exactly those subnets, the VPC and the cluster.
    properties = resource["Properties"]
    assert sorted(references(properties["PodSubnetIds"])) == sorted(pod_subnets)
    assert properties["VpcId"] == _vpc_id(app)
    assert properties["ClusterName"] == app.config.cluster_name
    assert resource["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize("app_name", APPS)
def test_cleanup_runs_after_the_cluster_and_every_node_group_are_deleted(
    app_name: str, request: pytest.FixtureRequest
) -> None:
    """The cluster and each Auto Scaling group name the cleanup in DependsOn (not only through other resources, so
    a later change elsewhere cannot undo the order): CloudFormation deletes them before it runs the cleanup."""
    app: Synthesized = request.getfixturevalue(app_name)
    logical_id, _ = _resource(app)
    (cluster,) = app.resources("cluster", "AWS::EKS::Cluster").values()
    groups = app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup").values()
    assert groups
    for resource in (cluster, *groups):
        assert logical_id in depends_on(resource)
    # Nothing the cleanup needs waits for the cluster or the nodes: no cycle, and the cleanup is created first.
    assert not {
        lid
        for lid, r in app.cluster["Resources"].items()
        if r["Type"] in ("AWS::EKS::Cluster", "AWS::AutoScaling::AutoScalingGroup")
    } & created_before(app.cluster, logical_id)


def test_cleanup_is_not_invoked_before_the_log_groups_exist(default_app: Synthesized) -> None:
    """A function that logs before CloudFormation creates its log group makes that create fail."""
    _logical_id, resource = _resource(default_app)
    log_groups = default_app.resources("cluster", "AWS::Logs::LogGroup")
    functions = {
        lid: f
        for lid, f in default_app.resources("cluster", "AWS::Lambda::Function").items()
        if lid.startswith("TeardownCleanup")
    }
    assert len(functions) == 2  # the cleanup function and the provider framework's
    for function in functions.values():
        (log_group,) = references(function["Properties"]["LoggingConfig"]["LogGroup"])
        assert log_group in log_groups
        assert log_group in resource["DependsOn"]


def _cleanup_statements(app: Synthesized) -> dict[str, dict[str, Any]]:
    (policy,) = [
        p
        for lid, p in app.resources("cluster", "AWS::IAM::Policy").items()
        if lid.startswith("TeardownCleanupRoleDefaultPolicy")
    ]
    statements = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            statements[action] = statement
    return statements


def test_the_function_may_delete_only_cni_enis_in_the_pod_subnets_and_this_clusters_group(
    default_app: Synthesized,
) -> None:
    statements = _cleanup_statements(default_app)
    assert set(statements) == {
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteSecurityGroup",
        "eks:DescribeCluster",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    eni = statements["ec2:DeleteNetworkInterface"]
    subnet_arns = eni["Condition"]["StringEquals"]["ec2:Subnet"]
    subnets = sorted(ref for arn in subnet_arns for ref in references(arn) if not ref.startswith("AWS::"))
    assert subnets == sorted(_pod_subnet_ids(default_app))
    assert eni["Condition"]["Null"] == {"aws:ResourceTag/node.k8s.amazonaws.com/instance_id": "false"}
    group = statements["ec2:DeleteSecurityGroup"]["Condition"]["StringEquals"]
    assert _vpc_id(default_app) in group["ec2:Vpc"]["Fn::Join"][1]
    assert group["aws:ResourceTag/aws:eks:cluster-name"] == "podnet"
    assert "cluster/podnet" in json.dumps(statements["eks:DescribeCluster"]["Resource"])
    # Only Describe* (no resource-level permissions in IAM) is granted on every resource.
    assert sorted(a for a, s in statements.items() if s["Resource"] == "*") == [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
    ]


def test_the_condition_keys_exist_for_the_resources_they_guard(default_app: Synthesized) -> None:
    """A condition key IAM does not evaluate for the resource would make the statement never match (deny) or be
    meaningless: check against the Service Authorization Reference data cfn-lint ships."""
    ec2 = json.loads(POLICIES_JSON.read_text())["ec2"]
    statements = _cleanup_statements(default_app)
    for action, resource_type in (
        ("ec2:DeleteNetworkInterface", "network-interface"),
        ("ec2:DeleteSecurityGroup", "security-group"),
    ):
        assert ec2["Actions"][action.split(":")[1].lower()]["Resources"] == [resource_type]
        supported = ec2["Resources"][resource_type]["ConditionKeys"]
        for operator in statements[action]["Condition"].values():
            for key in operator:
                generic = "aws:ResourceTag/${TagKey}" if key.startswith("aws:ResourceTag/") else key
                assert generic in supported, (action, key)


def test_the_function_code_is_the_handler_module(default_app: Synthesized) -> None:
    (function,) = [
        f
        for lid, f in default_app.resources("cluster", "AWS::Lambda::Function").items()
        if lid.startswith("TeardownCleanupFunction")
    ]
    assert function["Properties"]["Handler"] == "handler.on_event"
    assert function["Properties"]["Runtime"].startswith("python3.")
    assert function["Properties"]["Timeout"] == 600
    assert "VpcConfig" not in function["Properties"]  # it needs the EC2 API only, and leaves no ENI of its own
    assert (HANDLER_DIR / "handler.py").is_file()


def test_destroy_keeps_the_secrets_key_and_the_log_groups(default_app: Synthesized) -> None:
    """What docs/day-two.md 'Destroy' says destroy keeps, as the templates say it."""
    (key,) = [k for lid, k in default_app.resources("cluster", "AWS::KMS::Key").items() if lid.startswith("SecretsKey")]
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert "PendingWindowInDays" not in key["Properties"]
    for stack in ("network", "cluster"):
        for log_group in default_app.resources(stack, "AWS::Logs::LogGroup").values():
            assert log_group["DeletionPolicy"] == "Retain"
            # 90: the pod-IP metrics function's; 365: flow logs, the cleanup; 731: the kubectl provider's.
            assert log_group["Properties"]["RetentionInDays"] in (90, 365, 731)
    retained = {
        (stack, r["Type"])
        for stack in ("network", "cluster")
        for r in default_app.template(stack)["Resources"].values()
        if r.get("DeletionPolicy") == "Retain"
    }
    # The KMS keys: the secrets key, and each stack's log key (retained logs stay readable).
    assert retained == {
        ("network", "AWS::Logs::LogGroup"),
        ("network", "AWS::KMS::Key"),
        ("cluster", "AWS::Logs::LogGroup"),
        ("cluster", "AWS::KMS::Key"),
    }
