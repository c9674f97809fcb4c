"""Acknowledging cdk-nag (AwsSolutions) findings: one finding, on the construct it is about, with a reason.

Each construct acknowledges its own findings where it creates the resource, so the reason sits next to the code
it explains; tests/test_cdk_nag.py lists every acknowledgement of the app for review in one place. This module
imports no podnet construct, so any construct can use it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aws_cdk import Acknowledgment, CfnElement, CfnResource, Stack, Validations
from aws_cdk.region_info import RegionInfo
from constructs import IConstruct

if TYPE_CHECKING:  # only a pipeline synth needs CodeBuild: importing it would slow down every synth
    from aws_cdk import aws_codebuild as codebuild

#: Prefix of cdk-nag's rule ids in the CDK policy-validation report.
NAG = "AwsSolutions::AwsSolutions-"

#: What aws-cdk-lib's grants put on a role that reads or writes one bucket and its KMS key. cdk-nag reports the
#: action wildcards; they stay inside the bucket the finding's resource names.
BUCKET_GRANT_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
BUCKET_GRANT_REASON = (
    "aws-cdk-lib's bucket/KMS grants: object-level wildcards confined to one bucket (named in the finding) and"
    " the data-key operations of its key"
)


def acknowledge(scope: IConstruct, reason: str, *rules: str) -> None:
    """Accept exactly ``rules`` (full finding ids, see :func:`rule`) on ``scope`` and what it contains."""
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule, reason=reason) for rule in rules))


def rule(finding: str) -> str:
    """The id of one finding, e.g. ``rule("IAM5[Resource::*]")`` or ``rule("L1")``."""
    return f"{NAG}{finding}"


def managed_policy(name: str) -> str:
    """The IAM4 finding of one AWS managed policy (``service-role/...`` included in ``name``)."""
    return rule(f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]")


def iam5(*findings: str) -> list[str]:
    """IAM5 (wildcard) findings, each naming the action or resource cdk-nag reports."""
    return [rule(f"IAM5[{finding}]") for finding in findings]


def logical_id(resource: IConstruct) -> str:
    """The logical id cdk-nag writes, as ``<Id>`` or ``<Id.Attribute>``, for a resource inside a finding."""
    cfn = resource if isinstance(resource, CfnElement) else resource.node.default_child
    assert isinstance(cfn, CfnElement), resource.node.path
    return Stack.of(cfn).get_logical_id(cfn)


def as_written(scope: IConstruct, value: str) -> str:
    """``value`` (a string holding tokens, e.g. an ARN) as cdk-nag writes it inside a finding id.

    References become ``<LogicalId>``, ``<LogicalId.Attribute>`` or ``<AWS::AccountId>``; joins are joined.
    """
    return _flatten(Stack.of(scope).resolve(value))


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_flatten(part) for part in parts)
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", argument)
    raise ValueError(f"no cdk-nag rendering for {value!r}")


def codebuild_log_findings(project: codebuild.CfnProject) -> list[str]:
    """A CodeBuild project's role writes its own logs and test reports (names suffixed by the build)."""
    stack = Stack.of(project)
    partition = RegionInfo.get(stack.region).partition
    where = f"{partition}:{{service}}:{stack.region}:{stack.account}"
    name = f"<{logical_id(project)}>"
    return iam5(
        f"Resource::arn:{where.format(service='codebuild')}:report-group/{name}-*",
        f"Resource::arn:{where.format(service='logs')}:log-group:/aws/codebuild/{name}:*",
    )


def skip_checkov(scope: IConstruct, resource_type: str, reason: str, *checks: str) -> None:
    """Accept checkov's ``checks`` (``CKV_AWS_116``) on every ``resource_type`` resource in ``scope``, with a reason.

    checkov reads ``Metadata.checkov.skip`` of a CloudFormation resource; tests/test_checkov.py runs it over the
    synthesized templates and lists every skip for review.
    """
    found = [
        child
        for child in scope.node.find_all()
        if isinstance(child, CfnResource) and child.cfn_resource_type == resource_type
    ]
    assert found, f"no {resource_type} in {scope.node.path}"
    for resource in found:
        metadata = resource.get_metadata("checkov") or {"skip": []}
        metadata["skip"] = [*metadata["skip"], *({"id": check, "comment": reason} for check in checks)]
        resource.add_metadata("checkov", metadata)
