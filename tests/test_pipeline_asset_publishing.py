"""The pipeline's Assets stage, run offline: the exact commands of its synthesized build specification, with the
exact tool version it installs, against a moto server standing in for the environment accounts.

A publisher that cannot read the cloud-assembly schema aws-cdk-lib writes (cdk-assets 4.7.3 reads up to 54, the
app writes 55) fails here, not in a real account.
"""

import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from tests.support import REPO_ROOT
from tests.support.synth import SynthesizedPipeline

PIPELINE_ACCOUNT = "111111111111"
ENVIRONMENTS = {"dev": ("222222222222", "eu-west-1"), "prod": ("333333333333", "us-east-1")}
KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "moto"}
NPM_INSTALL = re.compile(r"npm install -g (?P<package>[a-z@/-]+)@(?P<version>\d+\.\d+\.\d+)")
#: Directory assets above this size are put in the bucket beforehand, so the publisher finds them published and
#: skips zipping them (the kubectl layer alone takes seconds); every other asset is built and uploaded for real.
LARGE_ASSET_BYTES = 100_000


@pytest.fixture
def cloud() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _reset(endpoint)  # moto keeps its state per process, not per server
    yield endpoint
    _reset(endpoint)
    server.stop()


def _reset(endpoint: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")) as response:
        assert response.status == 200


def _client(endpoint: str, service: str, account: str, region: str) -> Any:
    """A client acting in ``account`` (moto keeps one state per account, chosen by the assumed role's account)."""
    root = boto3.Session(
        region_name=region,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    sts = root.client("sts", endpoint_url=endpoint)
    role = f"arn:aws:iam::{account}:role/podnet-test-setup"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="podnet-test")["Credentials"]
    session: Any = boto3.Session(
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return session.client(service, endpoint_url=endpoint)


def _bucket(account: str, region: str) -> str:
    return f"cdk-hnb659fds-assets-{account}-{region}"


def _bootstrap(endpoint: str, account: str, region: str) -> None:
    """What `cdk bootstrap` leaves that publishing reads: the assets bucket and the bootstrap version parameter."""
    s3 = _client(endpoint, "s3", account, region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=_bucket(account, region), **location)
    ssm = _client(endpoint, "ssm", account, region)
    ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")


def _manifests(app: SynthesizedPipeline) -> dict[Path, dict[str, Any]]:
    """Every asset manifest of the environments' stacks (the pipeline stack's own is published by self-mutation)."""
    found = sorted(app.assembly.glob("assembly-*/*.assets.json"))
    return {path: json.loads(path.read_text()) for path in found}


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def _put_large_assets(endpoint: str, manifests: dict[Path, dict[str, Any]], accounts: set[str]) -> None:
    for path, manifest in manifests.items():
        for asset in manifest.get("files", {}).values():
            if _size(path.parent / asset["source"]["path"]) <= LARGE_ASSET_BYTES:
                continue
            for destination in asset["destinations"].values():
                account = destination["bucketName"].split("-")[-4]
                if account in accounts:
                    region = destination["region"]
                    s3 = _client(endpoint, "s3", account, region)
                    s3.put_object(Bucket=destination["bucketName"], Key=destination["objectKey"], Body=b"stub")


def _published(endpoint: str, account: str, region: str) -> set[str]:
    s3 = _client(endpoint, "s3", account, region)
    return {o["Key"] for o in s3.list_objects_v2(Bucket=_bucket(account, region)).get("Contents", [])}


def _expected(manifests: dict[Path, dict[str, Any]], account: str) -> set[str]:
    return {
        destination["objectKey"]
        for manifest in manifests.values()
        for asset in manifest.get("files", {}).values()
        for destination in asset["destinations"].values()
        if destination["bucketName"].split("-")[-4] == account
    }


def _assets_build_spec(app: SynthesizedPipeline) -> dict[str, Any]:
    resources = app.pipeline["Resources"]
    (pipeline,) = app.resources(app.pipeline, "AWS::CodePipeline::Pipeline").values()
    (stage,) = [s for s in pipeline["Properties"]["Stages"] if s["Name"] == "Assets"]
    (action,) = stage["Actions"]
    project = resources[action["Configuration"]["ProjectName"]["Ref"]]["Properties"]
    build_spec: str = project["Source"]["BuildSpec"]
    # Inline, or (CDK Pipelines' own single publisher) the name of a file in the assembly, which CodeBuild reads.
    spec: dict[str, Any] = yaml.safe_load(
        build_spec if build_spec.lstrip().startswith("{") else (app.assembly / build_spec).read_text()
    )
    return spec


def _locked_tools_path(spec: dict[str, Any]) -> str:
    """PATH with the npm tools the build specification installs first, each checked to be the exact version
    installed here (`npm ci` from package-lock.json)."""
    installs = spec["phases"]["install"]["commands"]
    assert installs, "the Assets project installs no publishing tool"
    for command in installs:
        match = NPM_INSTALL.fullmatch(command)
        assert match, f"not an exact npm install: {command}"
        installed = json.loads((REPO_ROOT / "node_modules" / match["package"] / "package.json").read_text())
        assert installed["version"] == match["version"], (match["package"], installed["version"])
    return os.pathsep.join([str(REPO_ROOT / "node_modules" / ".bin"), os.environ["PATH"]])


def _run_build(spec: dict[str, Any], endpoint: str, app: SynthesizedPipeline, home: Path) -> tuple[int, str]:
    """The build phase as CodeBuild runs it: each command in turn from the assembly root, stopping at a failure."""
    env = {
        "PATH": _locked_tools_path(spec),
        "HOME": str(home),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        **KEYS,
    }
    output = ""
    for command in spec["phases"]["build"]["commands"]:
        done = subprocess.run(
            ["sh", "-c", command],
            cwd=app.assembly,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        output += done.stdout
        if done.returncode != 0:
            return done.returncode, output
    return 0, output


def test_publishes_every_asset_of_every_environment(
    pipeline_app: SynthesizedPipeline, cloud: str, tmp_path: Path
) -> None:
    manifests = _manifests(pipeline_app)
    assert len(manifests) == 4  # dev and prod, network and cluster
    assert all(m["version"] for m in manifests.values())
    for account, region in ENVIRONMENTS.values():
        _bootstrap(cloud, account, region)
    _put_large_assets(cloud, manifests, {account for account, _ in ENVIRONMENTS.values()})
    status, output = _run_build(_assets_build_spec(pipeline_app), cloud, pipeline_app, tmp_path)
    assert status == 0, output[-3000:]
    for account, region in ENVIRONMENTS.values():
        expected = _expected(manifests, account)
        assert expected and _published(cloud, account, region) == expected


def test_an_environment_not_bootstrapped_fails_with_one_line_naming_it(
    pipeline_app: SynthesizedPipeline, cloud: str, tmp_path: Path
) -> None:
    manifests = _manifests(pipeline_app)
    dev_account, dev_region = ENVIRONMENTS["dev"]
    _bootstrap(cloud, dev_account, dev_region)
    _put_large_assets(cloud, manifests, {dev_account})
    status, output = _run_build(_assets_build_spec(pipeline_app), cloud, pipeline_app, tmp_path)
    assert status != 0
    assert output.strip().splitlines()[-1] == (
        "podnet: publishing the assets of environment prod (aws://333333333333/us-east-1) failed; if it is not"
        " bootstrapped to trust this pipeline, run: cdk bootstrap aws://333333333333/us-east-1 --trust"
        f" {PIPELINE_ACCOUNT} --cloudformation-execution-policies <policy ARN>"
    )
    assert _published(cloud, dev_account, dev_region) == _expected(manifests, dev_account)
