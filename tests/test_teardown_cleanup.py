"""The teardown cleanup custom resource in the synthesized network stack: order, scope of its IAM, its code.

What the function does is tested against moto in tests/test_teardown_cleanup_function.py; here: that
CloudFormation runs it at the right moment, that IAM lets it delete nothing else, and what destroy keeps.
"""

import json
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from podnet.constructs.teardown_cleanup import HANDLER_DIR
from tests.support.synth import Synthesized

#: Actions, resource types and their condition keys, from the Service Authorization Reference (shipped by cfn-lint).
POLICIES_JSON = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"


def _resource(app: Synthesized) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = app.resources("network", "Custom::PodnetTeardownCleanup").items()
    return logical_id, resource


def _references(value: Any) -> Iterator[str]:
    """Logical ids a property value points to (Ref, Fn::GetAtt): CloudFormation orders by them like DependsOn."""
    if isinstance(value, dict):
        if "Ref" in value:
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _depends_on(template: dict[str, Any], logical_id: str) -> set[str]:
    """Everything ``logical_id`` depends on, directly or through others: CloudFormation deletes it before them."""
    resources = template["Resources"]
    seen: set[str] = set()
    todo = [logical_id]
    while todo:
        resource = resources[todo.pop()]
        direct = set(resource.get("DependsOn", [])) | set(_references(resource.get("Properties", {})))
        for other in direct & set(resources) - seen:
            seen.add(other)
            todo.append(other)
    return seen


def _pod_subnet_ids(app: Synthesized) -> set[str]:
    return {
        lid
        for lid, subnet in app.resources("network", "AWS::EC2::Subnet").items()
        if IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(app.config.pod_cidr)
    }


@pytest.mark.parametrize("app_name", ["default_app", "origin_app"])
def test_cleanup_runs_before_every_pod_subnet_is_deleted(app_name: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_name)
    logical_id, resource = _resource(app)
    pod_subnets = _pod_subnet_ids(app)
    assert pod_subnets
    assert _depends_on(app.network, logical_id) >= pod_subnets
    # ... and it is told exactly those subnets, the VPC and the cluster.
    properties = resource["Properties"]
    assert sorted(_references(properties["PodSubnetIds"])) == sorted(pod_subnets)
    (vpc,) = app.resources("network", "AWS::EC2::VPC")
    assert properties["VpcId"] == {"Ref": vpc}
    assert properties["ClusterName"] == app.config.cluster_name
    assert resource["DeletionPolicy"] == "Delete"


def test_cleanup_is_not_invoked_before_the_log_groups_exist(default_app: Synthesized) -> None:
    """A function that logs before CloudFormation creates its log group makes that create fail."""
    _logical_id, resource = _resource(default_app)
    log_groups = default_app.resources("network", "AWS::Logs::LogGroup")
    functions = {
        lid: f
        for lid, f in default_app.resources("network", "AWS::Lambda::Function").items()
        if lid.startswith("TeardownCleanup")
    }
    assert len(functions) == 2  # the cleanup function and the provider framework's
    for function in functions.values():
        (log_group,) = _references(function["Properties"]["LoggingConfig"]["LogGroup"])
        assert log_group in log_groups
        assert log_group in resource["DependsOn"]


def _cleanup_statements(app: Synthesized) -> dict[str, dict[str, Any]]:
    (policy,) = [
        p
        for lid, p in app.resources("network", "AWS::IAM::Policy").items()
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
    subnets = sorted(ref for arn in subnet_arns for ref in _references(arn) if not ref.startswith("AWS::"))
    assert subnets == sorted(_pod_subnet_ids(default_app))
    assert eni["Condition"]["Null"] == {"aws:ResourceTag/node.k8s.amazonaws.com/instance_id": "false"}
    group = statements["ec2:DeleteSecurityGroup"]["Condition"]["StringEquals"]
    (vpc,) = default_app.resources("network", "AWS::EC2::VPC")
    assert [ref for ref in _references(group["ec2:Vpc"]) if not ref.startswith("AWS::")] == [vpc]
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
        for lid, f in default_app.resources("network", "AWS::Lambda::Function").items()
        if lid.startswith("TeardownCleanupFunction")
    ]
    assert function["Properties"]["Handler"] == "handler.on_event"
    assert function["Properties"]["Runtime"].startswith("python3.")
    assert function["Properties"]["Timeout"] == 600
    assert "VpcConfig" not in function["Properties"]  # it needs the EC2 API only, and leaves no ENI of its own
    assert (HANDLER_DIR / "handler.py").is_file()


def test_destroy_keeps_the_secrets_key_and_the_log_groups(default_app: Synthesized) -> None:
    """What README 'Destroying' says destroy keeps, as the templates say it."""
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
        for r in getattr(default_app, stack)["Resources"].values()
        if r.get("DeletionPolicy") == "Retain"
    }
    # The KMS keys: the secrets key, and each stack's log key (retained logs stay readable).
    assert retained == {
        ("network", "AWS::Logs::LogGroup"),
        ("network", "AWS::KMS::Key"),
        ("cluster", "AWS::Logs::LogGroup"),
        ("cluster", "AWS::KMS::Key"),
    }
