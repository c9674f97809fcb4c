"""Asset publishing with the locked CDK CLI (`cdk publish-assets`) in place of the cdk-assets CLI.

CDK Pipelines publishes with `npm install -g cdk-assets@<version>` and `cdk-assets --path ... publish`. No
cdk-assets release reads the asset manifests aws-cdk-lib 2.275 writes (cloud-assembly schema 55; 4.7.3, the newest,
stops at 54), while the CDK CLI that package-lock.json pins (the one `make deploy` and self-mutation run) does. So the
pipeline's single asset project gets its build specification replaced: install that CLI, then publish each
environment's stacks with it. tests/test_pipeline_asset_publishing.py runs these exact commands offline.
"""

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import DefaultStackSynthesizer, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam

from podnet.stacks.pipeline_tools import NODE_RUNTIME, locked_npm_version

#: `cdk publish-assets` is an unstable CLI command: it runs only when asked for by name.
PUBLISH = "cdk publish-assets --unstable=publish-assets --app . --no-notices --no-version-reporting --exclusively"


@dataclass(frozen=True)
class PublishedEnvironment:
    """One pipeline environment: its name, where it deploys, and the construct paths of its stacks."""

    name: str
    account: str
    region: str
    stacks: Sequence[str]


def bootstrap_command(account: str, region: str, pipeline_account: str) -> str:
    """How an environment account trusts the pipeline account (README, "Deploying through CodePipeline")."""
    return (
        f"cdk bootstrap aws://{account}/{region} --trust {pipeline_account}"
        " --cloudformation-execution-policies <policy ARN>"
    )


def publishing_commands(environments: Sequence[PublishedEnvironment], pipeline_account: str) -> list[str]:
    """One `cdk publish-assets` per environment, in wave order; a failure ends with one line naming the environment
    and the bootstrap command (the usual cause: an environment added to the configuration but not bootstrapped)."""
    return [
        f"{PUBLISH} {' '.join(shlex.quote(stack) for stack in environment.stacks)} || {{ echo 'podnet: publishing the"
        f" assets of environment {environment.name} (aws://{environment.account}/{environment.region}) failed; if"
        " it is not bootstrapped to trust this pipeline, run:"
        f" {bootstrap_command(environment.account, environment.region, pipeline_account)}'; exit 1; }}"
        for environment in environments
    ]


def publishing_build_spec(environments: Sequence[PublishedEnvironment], pipeline_account: str) -> dict[str, object]:
    return {
        "version": "0.2",
        "phases": {
            "install": {
                "runtime-versions": {"nodejs": NODE_RUNTIME},
                "commands": [f"npm install -g aws-cdk@{locked_npm_version('aws-cdk')}"],
            },
            "build": {"commands": publishing_commands(environments, pipeline_account)},
        },
    }


def deploy_role_arn(stack: Stack, account: str, region: str) -> str:
    """The CDK bootstrap deploy role of an environment: `cdk publish-assets` reads the bootstrap version through it."""
    return (
        DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN.replace("${AWS::Partition}", stack.partition)
        .replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
        .replace("${Qualifier}", DefaultStackSynthesizer.DEFAULT_QUALIFIER)
    )


def publish_assets_with_cdk_cli(
    pipeline: pipelines.CodePipeline, environments: Sequence[PublishedEnvironment], pipeline_account: str
) -> None:
    """Call after ``pipeline.build_pipeline()`` with ``publish_assets_in_parallel=False`` (one asset project)."""
    assets = pipeline.node.find_child("Assets")
    project = assets.node.find_child("FileAsset").node.default_child
    role = assets.node.find_child("FileRole")
    assert isinstance(project, codebuild.CfnProject) and isinstance(role, iam.Role)
    project.add_property_override(
        "Source.BuildSpec", json.dumps(publishing_build_spec(environments, pipeline_account), indent=2)
    )
    # CDK Pipelines lets this role assume each environment's file-publishing role; the CLI also validates the
    # environment's bootstrap version (an SSM parameter) and reads its bootstrap stack through the deploy role.
    stack = Stack.of(pipeline)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["sts:AssumeRole"],
            resources=sorted({deploy_role_arn(stack, e.account, e.region) for e in environments}),
        )
    )
