"""An in-VPC CodeBuild project that runs scripts/verify_custom_networking.py against the private cluster endpoint.

It lives in the environment's cluster stack, not in the pipeline stack: a CodeBuild project can only join a VPC
of its own account and region, and the pipeline (tooling account) cannot reach a private endpoint in another
account. The pipeline starts this project through a narrow trigger role (see ``PipelineStack``).
"""

import hashlib
from pathlib import Path

import cdk8s
from aws_cdk import Aws, CfnOutput, DefaultStackSynthesizer, Duration, Stack
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from podnet.charts.verifier_rbac_chart import VerifierRbacChart
from podnet.constructs.log_encryption_key import LogEncryptionKey
from podnet.nag import BUCKET_GRANT_ACTIONS, BUCKET_GRANT_REASON, acknowledge, codebuild_log_findings, iam5

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SCRIPT = "verify_custom_networking.py"
NAMESPACE = "podnet-verify"
KUBERNETES_GROUP = "podnet-verifiers"
#: The kubectl of the cluster's kubectl layer (one minor version either side of every supported Kubernetes version).
KUBECTL_VERSION = "v1.36.3"
KUBECTL_URL = f"https://dl.k8s.io/release/{KUBECTL_VERSION}/bin/linux/amd64/kubectl"
#: SHA-256 of that binary, committed here rather than fetched from dl.k8s.io next to it (that would prove only that
#: the download is intact, not that it is the binary meant). tests/test_custom_networking_verifier.py checks it equals
#: the kubectl inside the hash-pinned kubectl layer wheel, which the layer downloads from dl.k8s.io too.
KUBECTL_SHA256 = "ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336"


#: StartBuild condition keys that are present exactly when a request overrides the project's buildspec, source,
#: environment (variables, image, privileged mode, compute, certificate, registry credential), role, artifacts,
#: cache, logs or encryption key. Names from the CodeBuild condition keys guide and the Service Authorization
#: Reference (README, "Security"); ``Null: true`` on all of them allows only a build exactly as the project defines it.
START_BUILD_OVERRIDE_KEYS = tuple(
    f"codebuild:{key}"
    for key in (
        "source.buildspec",
        "source.location",
        "source.auth.type",
        "source.insecureSsl",
        "secondarySources",
        "environment.environmentVariables.name",
        "environment.image",
        "environment.type",
        "environment.computeType",
        "environment.privilegedMode",
        "environment.certificate",
        "environment.registryCredential",
        "environment.imagePullCredentialsType",
        "environment.fleet.fleetArn",
        "serviceRole",
        "artifacts",
        "secondaryArtifacts",
        "cache",
        "logsConfig",
        "encryptionKey",
    )
)


def codebuild_principal(account: str, project_arn: str) -> iam.IPrincipal:
    """CodeBuild, and only on behalf of one project of one account (confused-deputy protection with aws:SourceArn
    and aws:SourceAccount, as the CodeBuild guide recommends for service roles)."""
    return iam.ServicePrincipal("codebuild.amazonaws.com").with_conditions(
        {"StringEquals": {"aws:SourceAccount": account}, "ArnEquals": {"aws:SourceArn": project_arn}}
    )


def verifier_role_names(account: str, region: str, cluster_name: str) -> tuple[str, str]:
    """(trigger role in the environment account, step role in the pipeline account): fixed names, because each
    side's policy must name the other before either exists, and IAM role names are global per account."""
    digest = hashlib.sha256(f"{account}/{region}/{cluster_name}".encode()).hexdigest()[:10]
    short = cluster_name[:30]
    return f"podnet-verify-{short}-{digest}", f"podnet-verify-step-{short}-{digest}"


class CustomNetworkingVerifier(Construct):
    """Role (with an EKS access entry bound to narrow RBAC), security group and CodeBuild project in the node subnets.

    The project needs ``eks:DescribeCluster`` (for ``aws eks update-kubeconfig``) and, inside the cluster, only
    what ``VerifierRbacChart`` grants. The trigger role lets exactly one pipeline role start and follow its builds.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        subnets: list[ec2.ISubnet],
        expected: str,
        pipeline_account: str,
        trigger_role_name: str,
        step_role_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            allow_all_outbound=False,
            description="podnet custom-networking check: HTTPS to the API server and AWS APIs",
        )
        security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "EKS API server, EKS, STS, S3, CloudWatch Logs, dl.k8s.io"
        )
        cluster.connections.allow_from(security_group, ec2.Port.tcp(443), "podnet custom-networking check")

        stack = Stack.of(self)
        # Named after the trigger role (another namespace), so the role's trust can name the project before it exists.
        project_name = trigger_role_name
        project_arn = f"arn:{stack.partition}:codebuild:{stack.region}:{stack.account}:project/{project_name}"
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=codebuild_principal(stack.account, project_arn),
            description="podnet custom-networking check: reads the cluster, runs test pods in podnet-verify",
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["eks:DescribeCluster"], resources=[cluster.cluster_arn]))
        access_entry = eks.CfnAccessEntry(
            self,
            "AccessEntry",
            cluster_name=cluster.cluster_name,
            principal_arn=self.role.role_arn,
            kubernetes_groups=[KUBERNETES_GROUP],
            type="STANDARD",
        )
        rbac = cluster.add_cdk8s_chart(
            "VerifierRbac",
            VerifierRbacChart(cdk8s.App(), "verifier-rbac", group=KUBERNETES_GROUP, namespace=NAMESPACE),
        )

        script = s3_assets.Asset(self, "Script", path=str(SCRIPTS), exclude=["*", f"!{SCRIPT}"])
        script.grant_read(self.role)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.THREE_MONTHS, encryption_key=LogEncryptionKey.of(self).key
        )
        self.project = codebuild.Project(
            self,
            "Project",
            project_name=project_name,
            description="podnet: check that pods take their IPs from the pod subnets",
            source=codebuild.Source.s3(bucket=script.bucket, path=script.s3_object_key),
            vpc=cluster.vpc,
            subnet_selection=ec2.SubnetSelection(subnets=subnets),
            security_groups=[security_group],
            role=self.role,
            encryption_key=kms.Key(self, "Key", enable_key_rotation=True, description="podnet verification builds"),
            environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0),
            environment_variables={
                "CLUSTER_NAME": codebuild.BuildEnvironmentVariable(value=cluster.cluster_name),
                "PODNET_EXPECTED": codebuild.BuildEnvironmentVariable(value=expected),
            },
            logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.log_group)),
            timeout=Duration.minutes(20),
            build_spec=codebuild.BuildSpec.from_object(
                {
                    "version": "0.2",
                    "phases": {
                        "install": {
                            "commands": [
                                f"curl -fsSLo /usr/local/bin/kubectl {KUBECTL_URL}",
                                f'echo "{KUBECTL_SHA256}  /usr/local/bin/kubectl" | sha256sum -c -',
                                "chmod +x /usr/local/bin/kubectl",
                            ]
                        },
                        "build": {
                            "commands": [
                                'aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_REGION"',
                                f"python3 {SCRIPT}",
                            ]
                        },
                    },
                }
            ),
        )
        # Without the access entry and the RBAC the first run would fail with Unauthorized / Forbidden.
        self.project.node.add_dependency(access_entry, rbac)

        step_role_arn = f"arn:{Aws.PARTITION}:iam::{pipeline_account}:role/{step_role_name}"
        self.trigger_role = iam.Role(
            self,
            "TriggerRole",
            role_name=trigger_role_name,
            assumed_by=iam.AccountPrincipal(pipeline_account).with_conditions(
                {"StringEquals": {"aws:PrincipalArn": step_role_arn}}
            ),
            description="Lets the podnet pipeline's verification step start and follow the check",
        )
        self.trigger_role.add_to_policy(
            iam.PolicyStatement(
                actions=["codebuild:StartBuild"],
                resources=[self.project.project_arn],
                conditions={"Null": dict.fromkeys(START_BUILD_OVERRIDE_KEYS, "true")},
            )
        )
        self.trigger_role.add_to_policy(
            iam.PolicyStatement(
                actions=["codebuild:BatchGetBuilds", "codebuild:StopBuild"], resources=[self.project.project_arn]
            )
        )
        self.trigger_role.add_to_policy(
            iam.PolicyStatement(actions=["logs:FilterLogEvents"], resources=[self.log_group.log_group_arn])
        )
        assets_bucket = f"cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-{stack.account}-{stack.region}"
        _acknowledge_verifier_findings(self.role, self.project, assets_bucket)
        self.project_output = CfnOutput(self, "ProjectName", value=self.project.project_name)
        self.log_group_output = CfnOutput(self, "LogGroupName", value=self.log_group.log_group_name)


def _acknowledge_verifier_findings(role: iam.Role, project: codebuild.Project, script_bucket: str) -> None:
    """Accept what aws-cdk-lib grants a VPC CodeBuild project that reads a CDK asset."""
    acknowledge(
        role,
        BUCKET_GRANT_REASON + "; here the CDK assets bucket holding the check script, and the build's own key",
        *iam5(*(f"Action::{a}" for a in BUCKET_GRANT_ACTIONS), f"Resource::arn:aws:s3:::{script_bucket}/*"),
        *codebuild_log_findings(_cfn_project(project)),
        *iam5("Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*"),
    )
    acknowledge(
        project,
        "CodeBuild in a VPC must call ec2:Describe* (subnets, security groups, DHCP options): no resource-level"
        " permissions exist for them",
        *iam5("Resource::*"),
    )


def _cfn_project(project: codebuild.Project) -> codebuild.CfnProject:
    cfn = project.node.default_child
    assert isinstance(cfn, codebuild.CfnProject)
    return cfn
