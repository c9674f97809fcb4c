"""The pipeline's custom-networking check can only verify: StartBuild refuses every override, roles trust one
project each, pods in its namespace must meet Pod Security "restricted" (the probe pod does), and its log is shown
whole."""

import json
from typing import Any

import pytest

from podnet.charts.verifier_rbac_chart import PSA_LABELS
from podnet.constructs.custom_networking_verifier import START_BUILD_OVERRIDE_KEYS, verifier_role_names
from scripts.verify_custom_networking import probe_pod
from tests.support.cfn_tokens import render
from tests.support.synth import SynthesizedPipeline

ENVIRONMENTS = {"dev": ("222222222222", "eu-west-1"), "prod": ("333333333333", "us-east-1")}


def _role_and_policies(template: dict[str, Any], role_prefix: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    (role_id,) = [
        lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role" and lid.startswith(role_prefix)
    ]
    statements = [
        statement
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    return role_id, template["Resources"][role_id]["Properties"], statements


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_start_build_refuses_every_override(pipeline_app: SynthesizedPipeline, environment: str) -> None:
    cluster = pipeline_app.stages[environment]["cluster"]
    _, _, statements = _role_and_policies(cluster, "CustomNetworkingVerifierTriggerRole")
    (start,) = [s for s in statements if "codebuild:StartBuild" in json.dumps(s["Action"])]
    assert start["Action"] == "codebuild:StartBuild"
    assert start["Condition"] == {"Null": dict.fromkeys(START_BUILD_OVERRIDE_KEYS, "true")}
    keys = set(START_BUILD_OVERRIDE_KEYS)
    # the three overrides that would run other code or fake a verdict, by their documented keys
    assert {"codebuild:source.buildspec", "codebuild:environment.environmentVariables.name"} <= keys
    assert {"codebuild:source.location", "codebuild:environment.image", "codebuild:serviceRole"} <= keys
    assert all(
        s["Action"] != "codebuild:StartBuild" and "codebuild:StartBuild" not in s["Action"]
        for s in statements
        if s is not start
    )


def _trust(role: dict[str, Any]) -> dict[str, Any]:
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    return dict(render(statement["Condition"]))


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_each_codebuild_role_trusts_codebuild_only_for_its_own_project(
    pipeline_app: SynthesizedPipeline, environment: str
) -> None:
    account, region = ENVIRONMENTS[environment]
    trigger_name, step_name = verifier_role_names(account, region, f"podnet-{environment}")
    cluster = pipeline_app.stages[environment]["cluster"]
    _, role, _ = _role_and_policies(cluster, "CustomNetworkingVerifierRole")
    (project,) = [
        r["Properties"]
        for lid, r in cluster["Resources"].items()
        if r["Type"] == "AWS::CodeBuild::Project" and lid.startswith("CustomNetworkingVerifier")
    ]
    assert project["Name"] == trigger_name
    assert _trust(role) == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnEquals": {"aws:SourceArn": f"arn:aws:codebuild:{region}:{account}:project/{trigger_name}"},
    }
    _, step_role, _ = _role_and_policies(pipeline_app.pipeline, f"Verify{environment}Role")
    assert step_role["RoleName"] == step_name
    step_projects = [
        r["Properties"]
        for r in pipeline_app.pipeline["Resources"].values()
        if r["Type"] == "AWS::CodeBuild::Project" and r["Properties"].get("Name") == step_name
    ]
    assert len(step_projects) == 1
    assert _trust(step_role) == {
        "StringEquals": {"aws:SourceAccount": "111111111111"},
        "ArnEquals": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:111111111111:project/{step_name}"},
    }


def test_the_namespace_enforces_pod_security_restricted(pipeline_app: SynthesizedPipeline) -> None:
    (rbac,) = [
        r
        for lid, r in pipeline_app.stages["dev"]["cluster"]["Resources"].items()
        if lid.startswith("ClusterVerifierRbac")
    ]
    (namespace,) = [o for o in json.loads(rbac["Properties"]["Manifest"]) if o["kind"] == "Namespace"]
    assert namespace["metadata"]["name"] == "podnet-verify"
    assert PSA_LABELS.items() <= namespace["metadata"]["labels"].items()
    assert PSA_LABELS["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_probe_pod_meets_pod_security_restricted() -> None:
    """The "restricted" controls of the Pod Security Standards (kubernetes.io/docs/concepts/security/
    pod-security-standards), baseline ones included, as they apply to this pod."""
    spec = probe_pod("us-east-1a", "run1", "podnet-verify")["spec"]
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    assert "volumes" not in spec  # so no hostPath or other non-restricted volume types
    pod_seccomp = spec.get("securityContext", {}).get("seccompProfile", {}).get("type")
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context.get("privileged", False) is False
        assert context["runAsNonRoot"] is True and context.get("runAsUser", 1) != 0
        assert context["capabilities"] == {"drop": ["ALL"]}  # nothing added back (only NET_BIND_SERVICE may be)
        assert context.get("seccompProfile", {}).get("type", pod_seccomp) in ("RuntimeDefault", "Localhost")
        assert "ports" not in container or all("hostPort" not in p for p in container["ports"])


def test_the_check_log_is_shown_whole_not_the_last_ten_minutes(pipeline_app: SynthesizedPipeline) -> None:
    from podnet.stacks.pipeline_stack import verification_commands

    (tail,) = [c for c in verification_commands() if " logs tail " in c]
    assert "--since 1d" in tail
    assert "--since 1d" in json.dumps(pipeline_app.pipeline)
