"""PipelineStack for examples/pipeline.json: waves, approvals, and the in-VPC custom-networking check per environment.

The pipeline app is synthesized once per session (the ``pipeline_app`` fixture).
"""

import json
import re
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from podnet.constructs.custom_networking_verifier import KUBERNETES_GROUP, verifier_role_names
from tests.conftest import PIPELINE_CONFIG_FILE as CONFIG_FILE
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render
from tests.support.synth import SynthesizedPipeline, snapshot_form


@pytest.fixture
def app(pipeline_app: SynthesizedPipeline) -> SynthesizedPipeline:
    return pipeline_app


def _pipeline(app: SynthesizedPipeline) -> dict[str, Any]:
    (pipeline,) = app.resources(app.pipeline, "AWS::CodePipeline::Pipeline").values()
    return dict(pipeline["Properties"])


def _actions(app: SynthesizedPipeline, stage: str) -> list[dict[str, Any]]:
    (found,) = [s for s in _pipeline(app)["Stages"] if s["Name"] == stage]
    return sorted(found["Actions"], key=lambda action: action["RunOrder"])


def _project_of(app: SynthesizedPipeline, action: dict[str, Any]) -> dict[str, Any]:
    project_id = action["Configuration"]["ProjectName"]["Ref"]
    return dict(app.pipeline["Resources"][project_id]["Properties"])


def _build_spec(project: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(project["Source"]["BuildSpec"])
    return spec


def test_stages_run_in_wave_order(app: SynthesizedPipeline) -> None:
    assert [stage["Name"] for stage in _pipeline(app)["Stages"]] == [
        "Source",
        "Build",
        "UpdatePipeline",
        "Assets",
        "dev",
        "prod",
    ]
    (source,) = _actions(app, "Source")
    assert source["Configuration"]["FullRepositoryId"] == "example-org/podnet"
    assert source["Configuration"]["BranchName"] == "main"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_each_environment_deploys_network_then_cluster_then_verifies(
    app: SynthesizedPipeline, environment: str
) -> None:
    names = [action["Name"] for action in _actions(app, environment) if action["ActionTypeId"]["Provider"] != "Manual"]
    assert names == [
        f"podnet-{environment}-network.Prepare",
        f"podnet-{environment}-network.Deploy",
        f"podnet-{environment}-cluster.Prepare",
        f"podnet-{environment}-cluster.Deploy",
        f"Verify-{environment}",
    ]


def test_prod_approvals_come_after_each_change_set_exists_and_notify_the_topic(app: SynthesizedPipeline) -> None:
    manual = {
        stage: [a for a in _actions(app, stage) if a["ActionTypeId"]["Provider"] == "Manual"]
        for stage in ("dev", "prod")
    }
    assert manual["dev"] == []
    order = [(action["RunOrder"], action["Name"]) for action in _actions(app, "prod")]
    names = [name for _, name in order]
    for stack in ("podnet-prod-network", "podnet-prod-cluster"):
        prepare, approve, deploy = (names.index(f"{stack}.{step}") for step in ("Prepare", "Approve", "Deploy"))
        assert order[prepare][0] < order[approve][0] < order[deploy][0], order
    assert len(manual["prod"]) == 2
    for approval in manual["prod"]:
        configuration = approval["Configuration"]
        assert configuration["NotificationArn"] == "arn:aws:sns:us-east-1:111111111111:podnet-approvals"
        assert "change set PipelineChange" in configuration["CustomData"]
    publishes = [
        statement
        for policy in app.resources(app.pipeline, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sns:Publish"
    ]
    assert publishes and all(s["Resource"] == "arn:aws:sns:us-east-1:111111111111:podnet-approvals" for s in publishes)


def test_source_action_may_use_the_connection_under_both_prefixes(app: SynthesizedPipeline) -> None:
    (source,) = _actions(app, "Source")
    role_id = source["RoleArn"]["Fn::GetAtt"][0]
    actions = {
        action
        for policy in app.resources(app.pipeline, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Resource"] == source["Configuration"]["ConnectionArn"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"codestar-connections:UseConnection", "codeconnections:UseConnection"} <= actions


def test_cross_account_artifacts_are_kms_encrypted(app: SynthesizedPipeline) -> None:
    store = _pipeline(app)["ArtifactStores"]
    keys = [s["ArtifactStore"]["EncryptionKey"] for s in store]
    assert keys and all(key["Type"] == "KMS" for key in keys)
    keys_in_stack = app.resources(app.pipeline, "AWS::KMS::Key").values()
    assert keys_in_stack and all(key["Properties"]["EnableKeyRotation"] is True for key in keys_in_stack)


def test_synth_runs_the_tests_and_synthesizes_the_same_config_file(app: SynthesizedPipeline) -> None:
    (synth,) = _actions(app, "Build")
    spec = _build_spec(_project_of(app, synth))
    assert spec["phases"]["build"]["commands"] == ["make test", f"make synth CONFIG={CONFIG_FILE}"]
    lock_header = (REPO_ROOT / "requirements.lock").read_text().splitlines()[1]
    (lock_python,) = re.findall(r"--python-version (\S+)", lock_header)
    assert spec["phases"]["install"]["runtime-versions"] == {"python": lock_python, "nodejs": "24"}


def _lock_versions() -> dict[str, str]:
    """package.json's exact pins, each checked against package-lock.json (what `npm ci` installs)."""
    pins: dict[str, str] = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]
    locked = json.loads((REPO_ROOT / "package-lock.json").read_text())["packages"]
    assert {name: locked[f"node_modules/{name}"]["version"] for name in pins} == pins
    return pins


def _installs(app: SynthesizedPipeline, stage: str) -> set[str]:
    return {
        command
        for action in _actions(app, stage)
        for command in _build_spec(_project_of(app, action))["phases"]["install"]["commands"]
    }


def test_self_mutation_installs_the_locked_cdk_cli(app: SynthesizedPipeline) -> None:
    assert _installs(app, "UpdatePipeline") == {f"npm install -g aws-cdk@{_lock_versions()['aws-cdk']}"}


def test_asset_publishing_installs_the_locked_cdk_cli_not_cdk_assets(app: SynthesizedPipeline) -> None:
    """tests/test_pipeline_asset_publishing.py runs these commands; here: one publisher, the locked CLI."""
    assert [action["Name"] for action in _actions(app, "Assets")] == ["FileAssets"]
    assert _installs(app, "Assets") == {f"npm install -g aws-cdk@{_lock_versions()['aws-cdk']}"}
    (assets,) = _actions(app, "Assets")
    commands = _build_spec(_project_of(app, assets))["phases"]["build"]["commands"]
    assert [command.split(" || ")[0] for command in commands] == [
        "cdk publish-assets --unstable=publish-assets --app . --no-notices --no-version-reporting --exclusively "
        + " ".join(f"podnet-pipeline/{environment}/podnet-{environment}-{stack}" for stack in ("network", "cluster"))
        for environment in ("dev", "prod")
    ]


def _arn(value: Any) -> str:
    """An ARN as written: joined, or substituted (CDK Pipelines writes the publishing roles with Fn::Sub)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"]).replace("${AWS::Partition}", "<Ref:AWS::Partition>")
    return str(render(value))


def test_asset_role_may_assume_only_the_environments_publishing_and_deploy_roles(app: SynthesizedPipeline) -> None:
    (assets,) = _actions(app, "Assets")
    role_id = _project_of(app, assets)["ServiceRole"]["Fn::GetAtt"][0]
    assumed = {
        _arn(resource)
        for policy in app.resources(app.pipeline, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sts:AssumeRole"
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    }
    environments = (("222222222222", "eu-west-1"), ("333333333333", "us-east-1"))
    assert assumed == {
        f"arn:<Ref:AWS::Partition>:iam::{account}:role/cdk-hnb659fds-file-publishing-role-{account}-{region}"
        for account, region in environments
    } | {
        f"arn:aws:iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{region}" for account, region in environments
    }


def test_every_build_runs_a_supported_node_and_installs_only_exact_versions(app: SynthesizedPipeline) -> None:
    specs = {
        lid: _build_spec(p["Properties"]) for lid, p in app.resources(app.pipeline, "AWS::CodeBuild::Project").items()
    }
    assert len(specs) >= 5  # synth, self-mutation, assets, a verification step per environment
    assert {
        lid: spec["phases"]["install"]["runtime-versions"]["nodejs"] for lid, spec in specs.items()
    } == dict.fromkeys(specs, "24")
    installs = [c for spec in specs.values() for c in spec["phases"]["install"].get("commands", []) if "install" in c]
    assert installs and all(re.fullmatch(r"npm install -g [a-z-]+@\d+\.\d+\.\d+", c) for c in installs), installs


@pytest.mark.parametrize(
    ("environment", "account", "region"), [("dev", "222222222222", "eu-west-1"), ("prod", "333333333333", "us-east-1")]
)
def test_verify_step_assumes_only_its_environments_trigger_role(
    app: SynthesizedPipeline, environment: str, account: str, region: str
) -> None:
    (verify,) = [a for a in _actions(app, environment) if a["Name"] == f"Verify-{environment}"]
    project = _project_of(app, verify)
    trigger_role, step_role = verifier_role_names(account, region, f"podnet-{environment}")
    role_id = project["ServiceRole"]["Fn::GetAtt"][0]
    assert app.pipeline["Resources"][role_id]["Properties"]["RoleName"] == step_role
    statements = [
        statement
        for policy in app.resources(app.pipeline, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    (assume,) = [s for s in statements if s["Action"] == "sts:AssumeRole"]
    assert assume["Resource"] == f"arn:aws:iam::{account}:role/{trigger_role}"
    from_outputs = {v["name"]: v["value"] for v in json.loads(verify["Configuration"]["EnvironmentVariables"])}
    cluster_stack = f"podnetpipeline{environment}podnet{environment}cluster"
    assert {name: value.split(".")[1].rstrip("}") for name, value in from_outputs.items()} == {
        "CLUSTER_NAME": "ClusterName",
        "VERIFY_PROJECT": "CustomNetworkingVerifierProjectNameBCDAA1B5",
        "VERIFY_LOG_GROUP": "CustomNetworkingVerifierLogGroupNameA03992AE",
    }
    assert all(value.startswith(f"#{{{cluster_stack}") for value in from_outputs.values())
    static = {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}
    assert static == {"TRIGGER_ROLE_ARN": f"arn:aws:iam::{account}:role/{trigger_role}", "TARGET_REGION": region}
    assert "VpcConfig" not in project  # it runs in the pipeline account: the check itself runs in the target VPC
    commands = _build_spec(project)["phases"]["build"]["commands"]
    assert any("codebuild start-build" in command for command in commands)
    assert commands[-1] == '[ "$STATUS" = SUCCEEDED ]'


def _verifier(app: SynthesizedPipeline, environment: str, resource_type: str) -> dict[str, Any]:
    (resource,) = [
        r
        for lid, r in app.resources(app.stages[environment]["cluster"], resource_type).items()
        if lid.startswith("CustomNetworkingVerifier")
    ]
    return dict(resource["Properties"])


def test_check_runs_in_the_node_subnets_with_its_own_security_group_and_role(app: SynthesizedPipeline) -> None:
    cluster, network = app.stages["dev"]["cluster"], app.stages["dev"]["network"]
    project = _verifier(app, "dev", "AWS::CodeBuild::Project")
    vpc_config = project["VpcConfig"]
    node_subnets = {
        lid
        for lid, r in network["Resources"].items()
        if r["Type"] == "AWS::EC2::Subnet" and lid.startswith("VpcNodesSubnet")
    }
    imported = {value["Fn::ImportValue"] for value in vpc_config["Subnets"]}
    assert len(imported) == len(node_subnets) == 2
    assert all(any(subnet in export for subnet in node_subnets) for export in imported)
    (security_group,) = vpc_config["SecurityGroupIds"]
    sg_id = security_group["Fn::GetAtt"][0]
    assert sg_id.startswith("CustomNetworkingVerifierSecurityGroup")
    assert [
        (e["IpProtocol"], e["FromPort"], e["ToPort"])
        for e in cluster["Resources"][sg_id]["Properties"]["SecurityGroupEgress"]
    ] == [("tcp", 443, 443)]
    ingress = [
        r["Properties"]
        for r in cluster["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress"
        and r["Properties"].get("SourceSecurityGroupId") == {"Fn::GetAtt": [sg_id, "GroupId"]}
    ]
    assert {"ClusterEB0386A7"} <= {i["GroupId"]["Fn::GetAtt"][0] for i in ingress}
    assert all((i["FromPort"], i["ToPort"]) == (443, 443) for i in ingress)
    assert project["ServiceRole"]["Fn::GetAtt"][0].startswith("CustomNetworkingVerifierRole")
    env = {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}
    assert env["CLUSTER_NAME"] == {"Ref": "ClusterEB0386A7"}
    assert env["PODNET_EXPECTED"] == cluster["Outputs"]["CustomNetworking"]["Value"]
    commands = json.loads(project["Source"]["BuildSpec"])["phases"]["build"]["commands"]
    assert commands == [
        'aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_REGION"',
        "python3 verify_custom_networking.py",
    ]


def test_check_role_gets_describe_cluster_and_narrow_kubernetes_rbac(app: SynthesizedPipeline) -> None:
    cluster = app.stages["dev"]["cluster"]
    entry = _verifier(app, "dev", "AWS::EKS::AccessEntry")
    assert entry["PrincipalArn"]["Fn::GetAtt"][0].startswith("CustomNetworkingVerifierRole")
    assert (entry["KubernetesGroups"], entry["Type"], entry.get("AccessPolicies")) == (
        [KUBERNETES_GROUP],
        "STANDARD",
        None,
    )
    (policy,) = [
        r["Properties"]
        for lid, r in cluster["Resources"].items()
        if lid.startswith("CustomNetworkingVerifierRoleDefaultPolicy")
    ]
    actions = {
        s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"])
        for s in policy["PolicyDocument"]["Statement"]
    }
    assert "eks:DescribeCluster" in actions
    assert not any(str(a).startswith(("eks:*", "iam:")) for a in actions)
    (rbac,) = [r for lid, r in cluster["Resources"].items() if lid.startswith("ClusterVerifierRbac")]
    manifest = json.loads(rbac["Properties"]["Manifest"])
    rules = {obj["metadata"]["name"]: obj["rules"] for obj in manifest if obj["kind"] in ("ClusterRole", "Role")}
    assert rules["podnet-verify-aws-node"] == [
        {"apiGroups": ["apps"], "resources": ["daemonsets"], "resourceNames": ["aws-node"], "verbs": ["get"]}
    ]
    assert all(
        "*" not in rule["verbs"] and "secrets" not in rule["resources"]
        for role_rules in rules.values()
        for rule in role_rules
    )
    pods_role = next(
        obj for obj in manifest if obj["metadata"]["name"] == "podnet-verify-pods" and obj["kind"] == "Role"
    )
    assert pods_role["metadata"]["namespace"] == "podnet-verify"


def test_trigger_role_trusts_only_the_pipeline_step_role(app: SynthesizedPipeline) -> None:
    trigger_role, step_role = verifier_role_names("222222222222", "eu-west-1", "podnet-dev")
    (role,) = [
        r["Properties"]
        for lid, r in app.stages["dev"]["cluster"]["Resources"].items()
        if lid.startswith("CustomNetworkingVerifierTriggerRole") and r["Type"] == "AWS::IAM::Role"
    ]
    assert role["RoleName"] == trigger_role
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert render(statement["Condition"]["StringEquals"]["aws:PrincipalArn"]) == (
        f"arn:<Ref:AWS::Partition>:iam::111111111111:role/{step_role}"
    )


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_pipeline_template(app: SynthesizedPipeline, json_snapshot: SnapshotAssertion) -> None:
    assert snapshot_form(app.pipeline) == json_snapshot


def test_dev_cluster_template(app: SynthesizedPipeline, json_snapshot: SnapshotAssertion) -> None:
    assert snapshot_form(app.stages["dev"]["cluster"]) == json_snapshot


def test_no_stage_template_resolves_a_floating_ami_parameter(app: SynthesizedPipeline) -> None:
    """Every environment deploys the pinned release dev verified, never `recommended` resolved at change-set time."""
    parameters = {
        (environment, role): [p.get("Default", "") for p in template.get("Parameters", {}).values()]
        for environment, templates in app.stages.items()
        for role, template in templates.items()
    }
    amis = [d for defaults in parameters.values() for d in defaults if d.startswith("/aws/service/eks/optimized-ami/")]
    assert amis and all("/recommended/" not in d and "-v20260827/" in d for d in amis), amis
    assert not any("recommended" in json.dumps(t) for templates in app.stages.values() for t in templates.values())
