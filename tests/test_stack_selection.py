"""``make deploy|diff|destroy ENVIRONMENT=name`` act on that environment's stacks only, as the cdk CLI selects them.

The stack names come from podnet/config/stack_names.py, which the CDK app uses too. Two consumers are run for
real: make (with the cdk command replaced by ``echo``, so nothing deploys) and the pinned cdk CLI's ``cdk ls``
on a synthesized cloud assembly (``--app DIR``: no synth, no AWS). The assembly's stacks are empty stand-ins for
the network and cluster stacks: the stack tree (App -> Stage per environment -> stacks) is the one app.py builds,
and building the real stacks would only cost time.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from podnet.cli import main
from podnet.config.environments import expand_environments
from podnet.config.loading import load_config
from podnet.config.stack_names import deployment_stacks
from tests.support import REPO_ROOT
from tests.support.cdk_cli import CDK
from tests.support.synth import SynthesizedPipeline, cdk_json_context

ENVIRONMENTS: dict[str, Any] = {
    "clusterName": "podnet",
    "environments": {
        "dev": {"clusterName": "podnet-dev", "region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b"]},
        "prod": {"clusterName": "podnet-prod"},
    },
}
DEV = "dev/podnet-dev-network dev/podnet-dev-cluster"


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "environments.json"
    path.write_text(json.dumps(ENVIRONMENTS))
    return path


def make(target: str, *variables: str) -> subprocess.CompletedProcess[str]:
    """``make TARGET`` in the repository, its cdk replaced by ``echo cdk`` (the commands it would run are printed)."""
    return subprocess.run(
        ["make", "--no-print-directory", "-s", target, "CDK=echo cdk", "PREFLIGHT=0", *variables],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("target", ["deploy", "diff", "destroy"])
def test_make_acts_on_the_named_environment_only(config_file: Path, target: str) -> None:
    done = make(target, f"CONFIG={config_file}", "ENVIRONMENT=dev")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cdk {target} {DEV} --context podnet:configFile={config_file}\n"


@pytest.mark.parametrize("target", ["deploy", "destroy"])
def test_deploy_and_destroy_refuse_several_environments_without_environment(config_file: Path, target: str) -> None:
    done = make(target, f"CONFIG={config_file}")
    assert done.returncode != 0
    assert done.stdout == ""  # no cdk command ran
    assert (
        "podnet: the configuration has environments dev, prod; name the one to act on: ENVIRONMENT=dev"
        " (podnet: --environment NAME)\n"
    ) in done.stderr


def test_diff_without_environment_compares_every_stack(config_file: Path) -> None:
    done = make("diff", f"CONFIG={config_file}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cdk", "diff", "--context", f"podnet:configFile={config_file}"]


def test_make_without_environments_deploys_the_two_stacks() -> None:
    done = make("deploy")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "cdk deploy podnet-network podnet-cluster\n"


def test_with_a_pipeline_make_deploy_deploys_the_pipeline_stack_only() -> None:
    pipeline = REPO_ROOT / "examples" / "pipeline.json"
    assert (
        make("deploy", f"CONFIG={pipeline}").stdout
        == f"cdk deploy podnet-pipeline --context podnet:configFile={pipeline}\n"
    )
    refused = make("deploy", f"CONFIG={pipeline}", "ENVIRONMENT=dev")
    assert (refused.returncode != 0, refused.stdout) == (True, "")
    assert "with pipeline, the pipeline deploys each environment" in refused.stderr


def _environments_assembly(outdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What app.py synthesizes for ENVIRONMENTS (cdk.json's feature flags), the stacks' contents left out (see the
    module docstring). tests.support.synth is imported so that this file runs on the worker that synthesizes."""
    from aws_cdk import App, Stack
    from aws_cdk.aws_ssm import StringParameter

    from podnet.config.app_config import load_app_config
    from podnet.stacks import deployment
    from podnet.stacks.podnet_app import build_app

    class Empty(Stack):
        def __init__(self, scope: Any, construct_id: str, *, config: Any, env: Any, description: str, **_: Any):
            super().__init__(scope, construct_id, env=env, description=description)
            StringParameter(self, "Marker", string_value=config.cluster_name)

    monkeypatch.setattr(deployment, "NetworkStack", Empty)
    monkeypatch.setattr(deployment, "ClusterStack", Empty)
    app = App(outdir=str(outdir), context=cdk_json_context())
    build_app(app, load_app_config({"podnet": ENVIRONMENTS}, REPO_ROOT))
    app.synth()


def test_cdk_selects_exactly_the_environments_stacks(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _environments_assembly(tmp_path, monkeypatch)
    stacks = deployment_stacks(expand_environments(load_config({"podnet": ENVIRONMENTS}))["dev"], "dev")
    assert main(["stacks", "--cdk", "--environment", "dev", "--config", str(config_file)]) == 0
    selectors = capsys.readouterr().out.split()
    assert selectors == [stack.selector for stack in stacks] == DEV.split()
    path = os.pathsep.join([str(REPO_ROOT / ".venv" / "bin"), str(CDK.parent), os.environ["PATH"]])
    listed = subprocess.run(
        [str(CDK), "ls", "--long", "--json", "--no-notices", "--app", str(tmp_path), *selectors],
        cwd=tmp_path,
        env={**os.environ, "PATH": path, "CDK_DISABLE_VERSION_CHECK": "1", "CDK_CLI_TELEMETRY": "false"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    # cdk ls shows "path (stack name)" for a stack in a Stage; prod's stacks, in the assembly too, are not selected.
    found = {
        (entry["id"].split(" (")[0], entry["name"], entry["environment"]["region"])
        for entry in json.loads(listed.stdout)
    }
    assert found == {(stack.selector, stack.name, stack.region) for stack in stacks}
    assert {stack.name for stack in stacks} == {"dev-podnet-dev-network", "dev-podnet-dev-cluster"}


def test_make_verify_reads_the_configurations_cluster_stack(config_file: Path, tmp_path: Path) -> None:
    """The verify script reads the stack with the AWS CLI: a stand-in ``aws`` records what it was asked."""
    (tmp_path / "aws").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/asked\nexit 255\n')
    (tmp_path / "aws").chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}

    def verify(*variables: str) -> subprocess.CompletedProcess[str]:
        command = ["make", "--no-print-directory", "-s", "verify", f"CONFIG={config_file}", *variables]
        return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)

    assert verify("ENVIRONMENT=dev").returncode != 0  # the stand-in fails: the script stops there
    asked = (tmp_path / "asked").read_text().split()
    assert asked[asked.index("--stack-name") + 1] == "dev-podnet-dev-cluster"
    assert asked[asked.index("--region") + 1] == "eu-west-1"
    verify("ENVIRONMENT=dev", "STACK=other-cluster", "REGION=us-west-2")
    asked = (tmp_path / "asked").read_text().split()
    assert (asked[asked.index("--stack-name") + 1], asked[asked.index("--region") + 1]) == (
        "other-cluster",
        "us-west-2",
    )
    (tmp_path / "asked").unlink()
    refused = verify()
    assert "podnet: the configuration has environments dev, prod; name one with --environment NAME" in refused.stderr
    assert not (tmp_path / "asked").exists()


def test_make_synth_leaves_no_template_of_another_configuration(tmp_path: Path) -> None:
    """What an earlier synth of another configuration left; the cdk command is a no-op stand-in (``true``)."""
    for stale in ("dev-podnet-dev-cluster.template.json", "manifest.json", "assembly-dev/manifest.json"):
        (tmp_path / stale).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / stale).write_text("{}")
    (tmp_path / "asset.0123").mkdir()
    done = make("synth", f"CDK_OUT={tmp_path}", "CDK=true")
    assert done.returncode == 0, done.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["asset.0123"]


def test_the_pipeline_deploys_the_stacks_podnet_names(pipeline_app: SynthesizedPipeline) -> None:
    """podnet usage/verify --environment with a pipeline find the stacks the pipeline's deploy actions create."""
    pipeline = REPO_ROOT / "examples" / "pipeline.json"
    environments = expand_environments(load_config({}, pipeline))
    expected = {stack.name for name, merged in environments.items() for stack in deployment_stacks(merged, name)}
    actions = [
        action["Configuration"]["StackName"]
        for resource in pipeline_app.resources(pipeline_app.pipeline, "AWS::CodePipeline::Pipeline").values()
        for stage in resource["Properties"]["Stages"]
        for action in stage["Actions"]
        if "StackName" in action.get("Configuration", {})
    ]
    assert set(actions) == expected


def test_make_plan_deployed_stack_reads_the_stack(tmp_path: Path) -> None:
    """``make plan DEPLOYED=stack`` is ``podnet plan --deployed`` (no FILE): it goes to AWS for the stack output;
    without credentials it says so in one line (tests/test_usage.py reads a stack on a moto server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    nowhere = str(tmp_path / "none")
    env |= {"AWS_CONFIG_FILE": nowhere, "AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_EC2_METADATA_DISABLED": "true"}
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "plan", "DEPLOYED=stack"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.startswith("podnet: no AWS credentials found: configure a profile"), done.stderr
