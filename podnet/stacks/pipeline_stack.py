"""PipelineStack: a self-mutating CodePipeline that deploys the environments wave by wave and checks each one."""

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from podnet.config.model import PipelineConfig, PodnetConfig
from podnet.constructs.custom_networking_verifier import codebuild_principal, verifier_role_names
from podnet.nag import (
    BUCKET_GRANT_ACTIONS,
    acknowledge,
    codebuild_log_findings,
    iam5,
    logical_id,
    rule,
)
from podnet.stacks.pipeline_asset_publishing import PublishedEnvironment, publish_assets_with_cdk_cli
from podnet.stacks.pipeline_tools import NODE_RUNTIME, locked_npm_version
from podnet.stacks.podnet_stage import PodnetStage

BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
#: The Python requirements.lock is compiled for (``--python-version`` in its header; a test keeps them equal).
LOCK_PYTHON = "3.11"
#: Seconds between polls of the in-VPC verification build.
POLL_SECONDS = 15


def synth_commands(config_file: str | None) -> list[str]:
    """Tests first, then the same `make synth` a developer runs, with the same configuration file."""
    return ["make test", f"make synth CONFIG={config_file}" if config_file else "make synth"]


def verification_commands() -> list[str]:
    """Start the environment's in-VPC check through its trigger role, wait for it, show its log, pass on its verdict.

    Shell state carries across commands (buildspec 0.2), so these read as one script.
    """
    target = "--profile podnet-target"
    return [
        'aws configure set profile.podnet-target.role_arn "$TRIGGER_ROLE_ARN"',
        "aws configure set profile.podnet-target.credential_source EcsContainer",
        'aws configure set profile.podnet-target.region "$TARGET_REGION"',
        f'BUILD_ID=$(aws {target} codebuild start-build --project-name "$VERIFY_PROJECT"'
        " --query build.id --output text)",
        'echo "Checking custom networking of $CLUSTER_NAME: build $BUILD_ID"',
        "STATUS=IN_PROGRESS",
        f'while [ "$STATUS" = IN_PROGRESS ]; do sleep {POLL_SECONDS}; STATUS=$(aws {target} codebuild batch-get-builds'
        " --ids \"$BUILD_ID\" --query 'builds[0].buildStatus' --output text); done",
        # The whole stream of this build: without --since, `logs tail` shows only the last 10 minutes.
        f'aws {target} logs tail "$VERIFY_LOG_GROUP" --log-stream-names "${{BUILD_ID#*:}}" --since 1d --format short'
        " || true",
        'echo "Custom-networking check of $CLUSTER_NAME: $STATUS"',
        '[ "$STATUS" = SUCCEEDED ]',
    ]


def _runtimes(**versions: str) -> codebuild.BuildSpec:
    """A partial buildspec selecting runtimes of the CodeBuild image; CDK Pipelines merges these per step."""
    return codebuild.BuildSpec.from_object({"phases": {"install": {"runtime-versions": versions}}})


class PipelineStack(Stack):
    """CodePipeline (pipelines module): source -> synth (make test, make synth) -> self-update -> assets -> waves.

    Each environment is a PodnetStage; ``approvalBefore`` environments wait for a manual approval, and after
    every environment a verification step runs the custom-networking check inside that environment's VPC.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: PipelineConfig,
        environments: dict[str, PodnetConfig],
        config_file: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            pipeline.repository, pipeline.branch, connection_arn=pipeline.connection_arn
        )
        cross_account = any(environment.account != pipeline.account for environment in environments.values())
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                # `make synth` and `make test` install from requirements.lock, package-lock.json and tools.lock.
                commands=synth_commands(config_file),
                primary_output_directory="cdk.out",
            ),
            cross_account_keys=cross_account,
            publish_assets_in_parallel=False,
            enable_key_rotation=cross_account,
            # Self-mutation installs the exact CDK CLI package-lock.json pins (as `make setup`); asset publishing
            # runs that CLI too (pipeline_asset_publishing.py), in one project rather than one per asset.
            cli_version=locked_npm_version("aws-cdk"),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
                # Without runtime-versions the image runs its default Node.js (18 on standard:7.0, end-of-life).
                partial_build_spec=_runtimes(nodejs=NODE_RUNTIME),
            ),
            # requirements.lock is compiled for Python 3.11 (its header): the synth step runs that version.
            synth_code_build_defaults=pipelines.CodeBuildOptions(partial_build_spec=_runtimes(python=LOCK_PYTHON)),
        )
        topic = (
            sns.Topic.from_topic_arn(self, "ApprovalTopic", pipeline.approval_topic_arn)
            if pipeline.approval_topic_arn
            else None
        )
        step_roles: list[iam.IRole] = []
        published: list[PublishedEnvironment] = []
        for index, wave_environments in enumerate(pipeline.waves):
            wave = self.pipeline.add_wave(f"Wave{index + 1}")
            for name in wave_environments:
                stage = PodnetStage(self, name, config=environments[name], pipeline_account=pipeline.account)
                published.append(_published(name, stage))
                stack_steps = self._approvals(name, stage, topic) if name in pipeline.approval_before else []
                verification = self._verification_step(name, stage)
                assert verification.role is not None
                step_roles.append(verification.role)
                wave.add_stage(stage, post=[verification], stack_steps=stack_steps)
        # Built now rather than at synth, so the generated roles and buckets exist to be reviewed by cdk-nag.
        self.pipeline.build_pipeline()
        publish_assets_with_cdk_cli(self.pipeline, published, pipeline.account)
        _use_connection_under_both_prefixes(self.pipeline, pipeline.connection_arn)
        _expire_old_artifacts(self.pipeline.pipeline.artifact_bucket)
        for support in _cross_region(self.pipeline.pipeline):
            _expire_old_artifacts(support.replication_bucket)
            # Its name is derived from the support stack, the same on every re-creation: a retained bucket would
            # make the next create fail ("already exists"), so it goes with its stack (once empty; see the docs).
            support.replication_bucket.apply_removal_policy(RemovalPolicy.DESTROY)
        _acknowledge_pipeline_findings(self.pipeline, step_roles)

    @staticmethod
    def _approvals(name: str, stage: PodnetStage, topic: sns.ITopic | None) -> list[pipelines.StackSteps]:
        """One approval per stack, between creating its change set (Prepare) and executing it (Deploy): the
        approver reviews the change set CloudFormation shows for that stack, and the topic tells them it waits."""
        stacks = [stack for stack in (stage.deployment.network, stage.deployment.cluster) if stack is not None]
        return [
            pipelines.StackSteps(
                stack=stack,
                change_set=[
                    pipelines.ManualApprovalStep(
                        "Approve",
                        comment=(
                            f"Review change set PipelineChange of stack {stack.stack_name} ({name},"
                            f" {stack.account}/{stack.region}) in the CloudFormation console, then approve to deploy it"
                        ),
                        notification_topic=topic,
                    )
                ],
            )
            for stack in stacks
        ]

    def _verification_step(self, name: str, stage: PodnetStage) -> pipelines.CodeBuildStep:
        config, verifier = stage.config, stage.verifier
        assert config.account is not None and verifier is not None
        trigger_role_name, step_role_name = verifier_role_names(config.account, config.region, config.cluster_name)
        trigger_role_arn = f"arn:{self.partition}:iam::{config.account}:role/{trigger_role_name}"
        # The step's project is named like its role, so the role's trust can name the project before it exists.
        project_arn = f"arn:{self.partition}:codebuild:{self.region}:{self.account}:project/{step_role_name}"
        role = iam.Role(
            self,
            f"Verify-{name}-Role",
            role_name=step_role_name,
            assumed_by=codebuild_principal(self.account, project_arn),
            description=f"podnet pipeline: starts the custom-networking check of {name}",
        )
        role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[trigger_role_arn]))
        cluster_name = stage.deployment.cluster.node.find_child("ClusterName")
        assert isinstance(cluster_name, CfnOutput)
        return pipelines.CodeBuildStep(
            f"Verify-{name}",
            project_name=step_role_name,
            commands=verification_commands(),
            role=role,
            env={"TRIGGER_ROLE_ARN": trigger_role_arn, "TARGET_REGION": config.region},
            env_from_cfn_outputs={
                "CLUSTER_NAME": cluster_name,
                "VERIFY_PROJECT": verifier.project_output,
                "VERIFY_LOG_GROUP": verifier.log_group_output,
            },
            timeout=Duration.minutes(30),
        )


def _published(name: str, stage: PodnetStage) -> PublishedEnvironment:
    config = stage.config
    assert config.account is not None
    stacks = [stack for stack in (stage.deployment.network, stage.deployment.cluster) if stack is not None]
    return PublishedEnvironment(name, config.account, config.region, [stack.node.path for stack in stacks])


def _use_connection_under_both_prefixes(pipeline: pipelines.CodePipeline, connection_arn: str) -> None:
    """CDK Pipelines grants the source action ``codestar-connections:UseConnection`` only; a connection ARN may carry
    either service prefix (codestar-connections or codeconnections), and IAM matches the action's prefix to the
    resource's, so the role gets both actions."""
    source = pipeline.pipeline.node.find_child("Source")
    roles = [node for node in source.node.find_all() if isinstance(node, iam.Role)]
    assert roles, "CDK Pipelines created no source action role"
    for role in roles:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                resources=[connection_arn],
            )
        )


#: Days an execution's artifacts stay in the artifact bucket: long enough to retry or compare recent executions.
ARTIFACT_DAYS = 90


def _expire_old_artifacts(bucket: s3.IBucket) -> None:
    """Without a lifecycle rule the artifact bucket keeps every execution's source and cloud assembly forever."""
    assert isinstance(bucket, s3.Bucket)
    bucket.add_lifecycle_rule(
        id="ExpireOldPipelineArtifacts",
        expiration=Duration.days(ARTIFACT_DAYS),
        noncurrent_version_expiration=Duration.days(1),
        abort_incomplete_multipart_upload_after=Duration.days(1),
    )


def _acknowledge_each(scope: IConstruct, reasons: dict[str, str]) -> None:
    """One acknowledgement per IAM5 finding, its reason starting with the wildcard it accepts."""
    for finding, reason in reasons.items():
        acknowledge(scope, f"{finding}: {reason}", *iam5(finding))


def _acknowledge_pipeline_findings(pipeline: pipelines.CodePipeline, step_roles: Sequence[IConstruct]) -> None:
    """Accept what CDK Pipelines generates for its own roles: call after ``pipeline.build_pipeline()``."""
    stack = Stack.of(pipeline)
    code_pipeline = pipeline.pipeline
    artifacts = f"<{logical_id(code_pipeline.artifact_bucket)}.Arn>/*"
    bucket_grant = {
        f"Action::{action}": f"aws-cdk-lib's grant on the artifact bucket {artifacts} and its key only"
        for action in BUCKET_GRANT_ACTIONS
    }
    bucket_grant[f"Resource::{artifacts}"] = "the objects of the pipeline's own artifact bucket (executions' artifacts)"
    for scope in (pipeline, *step_roles):
        _acknowledge_each(scope, bucket_grant)
    projects = [node for node in stack.node.find_all() if isinstance(node, codebuild.CfnProject)]
    _acknowledge_each(
        stack,
        {
            finding.split("[", 1)[1][:-1]: "a pipeline CodeBuild project's own log streams or report groups"
            " (CodeBuild names them per build)"
            for project in projects
            for finding in codebuild_log_findings(project)
        },
    )
    # Replication buckets have generated physical names (they are referenced across regions).
    replication = {
        f"Resource::arn:aws:s3:::{stack.resolve(s.replication_bucket.bucket_name)}/*": "objects of a cross-region"
        " replication bucket CDK Pipelines creates for the artifacts of another region's actions"
        for s in _cross_region(code_pipeline)
    }
    _acknowledge_each(
        pipeline,
        {
            f"Resource::arn:*:iam::{stack.account}:role/*": "the roles the pipeline role assumes for its actions"
            " and self-mutation's assumption of the CDK bootstrap roles (cdk-*)",
            f"Resource::arn:aws:codebuild:{stack.region}:{stack.account}:report-group/*": "report groups of the"
            " pipeline's CodeBuild projects, named per project by CodeBuild",
            f"Resource::arn:aws:logs:{stack.region}:{stack.account}:log-group:/aws/codebuild/*": "log groups of"
            " the pipeline's CodeBuild projects (/aws/codebuild/<project>)",
            **replication,
        },
    )
    self_mutation = pipeline.node.find_child("UpdatePipeline").node.find_child("SelfMutation")
    asset_role = pipeline.node.find_child("Assets").node.find_child("FileRole")
    wildcard_reasons = {
        code_pipeline.role: "the pipeline role's kms:Decrypt/Encrypt/GenerateDataKey*/ReEncrypt*/DescribeKey, as"
        " CDK Pipelines writes them for the artifact keys of every region's bucket",
        self_mutation: "self-mutation's cloudformation:DescribeStacks and s3:ListBucket, on stacks and buckets the"
        " CDK CLI resolves at run time",
        asset_role: "codebuild:StartBuild/BatchGetBuilds/StopBuild that CDK Pipelines grants its asset role"
        " (not used by podnet's publishing commands; not narrowed, it is generated)",
    }
    for scope, reason in wildcard_reasons.items():
        _acknowledge_each(scope, {"Resource::*": reason})
    for bucket in (code_pipeline.artifact_bucket, *(s.replication_bucket for s in _cross_region(code_pipeline))):
        acknowledge(
            bucket,
            "pipeline artifact/replication bucket: KMS-encrypted, SSL-only, written only by the pipeline; its"
            " S3 data events belong in the account's CloudTrail, not in a second log bucket",
            rule("S1"),
        )


def _cross_region(code_pipeline: codepipeline.Pipeline) -> list[codepipeline.CrossRegionSupport]:
    return list(code_pipeline.cross_region_support.values())
