"""Every Kubernetes custom resource waits for the kubectl provider's log groups.

With ``@aws-cdk/aws-lambda:useCdkManagedLogGroup`` each provider function gets an ``AWS::Logs::LogGroup`` named
``/aws/lambda/<function>``. If a custom resource invokes the function before that group exists, Lambda creates the
group itself and the group's own create then fails with "already exists". So every ``Custom::AWSCDK-EKS-*``
resource, whoever adds it, must come after (``DependsOn``, directly or through other resources) each of those groups.
"""

from typing import Any

import pytest

from tests.support.cfn_graph import created_before, references
from tests.support.cfn_tokens import render_json
from tests.support.synth import Synthesized, SynthesizedPipeline

KUBERNETES_RESOURCE_PREFIX = "Custom::AWSCDK-EKS-"


def _provider_functions(template: dict[str, Any], kubernetes_resources: dict[str, Any]) -> set[str]:
    """The Lambda functions the custom resources invoke: their ServiceToken, and the functions it calls on."""
    resources = template["Resources"]
    functions: set[str] = set()
    pending = [r["Properties"]["ServiceToken"]["Fn::GetAtt"][0] for r in kubernetes_resources.values()]
    while pending:
        function = pending.pop()
        if function in functions:
            continue
        functions.add(function)
        variables = resources[function]["Properties"].get("Environment", {}).get("Variables", {})
        pending += [ref for ref in references(variables) if resources[ref]["Type"] == "AWS::Lambda::Function"]
    return functions


def _log_groups_of(template: dict[str, Any], functions: set[str]) -> dict[str, str]:
    """Function -> logical id of its ``/aws/lambda/<function>`` log group."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Logs::LogGroup":
            continue
        name = resource["Properties"].get("LogGroupName")
        if isinstance(name, dict) and name.get("Fn::Join", [None, []])[1][:1] == ["/aws/lambda/"]:
            (function,) = references(name)
            if function in functions:
                found[function] = logical_id
    return found


def assert_kubernetes_resources_wait_for_log_groups(template: dict[str, Any]) -> None:
    kubernetes_resources = {
        lid: r for lid, r in template["Resources"].items() if r["Type"].startswith(KUBERNETES_RESOURCE_PREFIX)
    }
    assert kubernetes_resources, "no Kubernetes custom resource: the check would prove nothing"
    functions = _provider_functions(template, kubernetes_resources)
    log_groups = _log_groups_of(template, functions)
    assert set(log_groups) == functions, "a provider function without its CDK-managed log group"
    late = {lid: sorted(set(log_groups.values()) - created_before(template, lid)) for lid in kubernetes_resources}
    assert {lid: missing for lid, missing in late.items() if missing} == {}


@pytest.mark.parametrize("app_fixture", ["default_app", "origin_app", "prefix_delegation_app", "existing_vpc_app"])
def test_every_kubernetes_resource_waits_for_the_provider_log_groups(
    app_fixture: str, request: pytest.FixtureRequest
) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    assert_kubernetes_resources_wait_for_log_groups(app.cluster)


def test_the_helm_charts_and_service_accounts_are_among_them(default_app: Synthesized) -> None:
    """NTH's and the Cluster Autoscaler's Helm charts and their Pod Identity service accounts (eks.ServiceAccount,
    a manifest) are added by constructs of their own: the check above covers them, so they must be there."""
    charts = default_app.resources("cluster", "Custom::AWSCDK-EKS-HelmChart").values()
    releases = {chart["Properties"]["Release"] for chart in charts}
    assert releases >= {"aws-node-termination-handler", "cluster-autoscaler"}
    manifests = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource").values()
    service_accounts = {
        item["metadata"]["name"]
        for manifest in manifests
        for item in render_json(manifest["Properties"]["Manifest"])
        if item["kind"] == "ServiceAccount"
    }
    assert service_accounts >= {"aws-node-termination-handler", "cluster-autoscaler"}


def test_resources_added_outside_the_cluster_stack_class_wait_too(pipeline_app: SynthesizedPipeline) -> None:
    """The pipeline stages add the verifier's RBAC manifest to the cluster stack afterwards: covered as well."""
    for environment, templates in pipeline_app.stages.items():
        cluster = templates["cluster"]
        kinds = {r["Type"] for r in cluster["Resources"].values()}
        assert "Custom::AWSCDK-EKS-KubernetesResource" in kinds, environment
        assert_kubernetes_resources_wait_for_log_groups(cluster)


def test_the_check_sees_a_resource_that_does_not_wait() -> None:
    """A custom resource that only references its provider function (the usual wiring) is reported."""
    template = {
        "Resources": {
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": "Function"}]]}},
            },
            "Manifest": {
                "Type": "Custom::AWSCDK-EKS-KubernetesResource",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Function", "Arn"]}},
            },
        }
    }
    with pytest.raises(AssertionError, match="Manifest"):
        assert_kubernetes_resources_wait_for_log_groups(template)
    template["Resources"]["Manifest"]["DependsOn"] = ["Logs"]
    assert_kubernetes_resources_wait_for_log_groups(template)
