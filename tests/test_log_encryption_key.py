"""Every log group podnet's stacks create is encrypted with that stack's own rotating key, usable by CloudWatch Logs."""

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from constructs import Construct

from podnet.constructs.log_encryption_key import LOGS_KEY_ACTIONS, LogEncryptionKey
from tests.support.cfn_tokens import render
from tests.support.synth import Synthesized, SynthesizedPipeline


def _log_key(template: dict[str, Any]) -> str:
    key_id: str
    (key_id,) = [
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::KMS::Key" and lid.startswith("LogEncryptionKey")
    ]
    return str(key_id)


def _check_encrypted_with_log_key(template: dict[str, Any], region: str) -> int:
    """Assert every log group uses the stack's log key and the key lets CloudWatch Logs of ``region`` use it for
    this account's log groups only; return how many log groups there are."""
    key_id = _log_key(template)
    groups = {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    assert {lid: r["Properties"].get("KmsKeyId") for lid, r in groups.items()} == {lid: key_arn for lid in groups}
    key = template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    (statement,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchLogsOfThisAccount"]
    assert statement["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert statement["Effect"] == "Allow" and sorted(statement["Action"]) == sorted(LOGS_KEY_ACTIONS)
    log_groups = f"arn:<Ref:AWS::Partition>:logs:{region}:<Ref:AWS::AccountId>:log-group:*"
    assert render(statement["Condition"]) == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}}
    return len(groups)


def test_flow_logs_are_encrypted(default_app: Synthesized) -> None:
    assert default_app.network is not None
    assert _check_encrypted_with_log_key(default_app.network, "us-east-1") >= 1
    (flow_log,) = default_app.resources("network", "AWS::EC2::FlowLog").values()
    group_id = flow_log["Properties"]["LogGroupName"]["Ref"]
    assert group_id in default_app.resources("network", "AWS::Logs::LogGroup")


def test_kubectl_provider_logs_are_encrypted(default_app: Synthesized) -> None:
    """aws-cdk-lib creates the kubectl handler's and its provider framework's log groups, with no key option."""
    assert _check_encrypted_with_log_key(default_app.cluster, "us-east-1") >= 2
    provider_groups = [
        lid
        for lid in default_app.resources("cluster", "AWS::Logs::LogGroup")
        if lid.startswith("ClusterKubectlProvider")
    ]
    assert len(provider_groups) == 2


@pytest.mark.parametrize(("environment", "region"), [("dev", "eu-west-1"), ("prod", "us-east-1")])
def test_pipeline_environments_encrypt_their_logs_and_the_checks_logs(
    pipeline_app: SynthesizedPipeline, environment: str, region: str
) -> None:
    stage = pipeline_app.stages[environment]
    # Every log group of both stacks (flow logs, kubectl provider, the check's builds, ...) uses the stack's key.
    assert _check_encrypted_with_log_key(stage["network"], region) >= 1
    assert _check_encrypted_with_log_key(stage["cluster"], region) >= 3
    assert [lid for lid in stage["cluster"]["Resources"] if lid.startswith("CustomNetworkingVerifierLogs")]


def test_one_key_per_stack_and_a_scope_without_log_groups_is_an_error() -> None:
    stack = Stack(App(), "Test", env=Environment(region="eu-west-1"))
    first, second = Construct(stack, "First"), Construct(stack, "Second")
    assert LogEncryptionKey.of(first) is LogEncryptionKey.of(second)
    with pytest.raises(LookupError, match="Test/First holds no log group to encrypt"):
        LogEncryptionKey.of(first).encrypt_log_groups(first)
