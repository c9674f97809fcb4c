"""``podnet usage`` as users run it: the real console script, against a moto server on 127.0.0.1.

The server holds a VPC with two pod subnets (one nearly full) and a stack with the cluster stack's outputs; the
command finds it through the standard AWS settings (``AWS_ENDPOINT_URL``, ``AWS_REGION``, credentials).
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core import enable_iam_authentication
from moto.server import ThreadedMotoServer

from podnet.cli import main

PODNET = Path(sys.executable).parent / "podnet"
REGION = "us-east-1"
STACK = "demo-cluster"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
Run = Callable[..., tuple[int, str, str]]


@dataclass(frozen=True)
class Cloud:
    """The moto server and what the tests put in it."""

    endpoint: str
    #: Zone -> pod subnet id.
    subnets: dict[str, str]
    #: For the tests' own calls (with ``endpoint_url=endpoint``).
    session: boto3.Session


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    session = boto3.Session(
        region_name=REGION,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    cloud = Cloud(endpoint=f"http://{host}:{port}", subnets={}, session=session)
    ec2 = session.client("ec2", endpoint_url=cloud.endpoint)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="100.64.0.0/16")
    pod_subnets = {}
    for zone, cidr in (("us-east-1a", "100.64.0.0/26"), ("us-east-1b", "100.64.1.0/24")):
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        cloud.subnets[zone] = subnet_id
        pod_subnets[zone] = {"subnetId": subnet_id, "cidr": cidr}
    # Pods' IPs sit on ENIs: a primary and 50 secondary addresses leave 8 of us-east-1a's 59 free (13.6%).
    ec2.create_network_interface(SubnetId=cloud.subnets["us-east-1a"], SecondaryPrivateIpAddressCount=50)
    # The cluster stack's CustomNetworking output, in its shape (tests/test_cluster_stack.py checks that shape).
    custom_networking = json.dumps(
        {
            "availabilityZones": ["us-east-1a", "us-east-1b"],
            "podCidr": "100.64.0.0/16",
            "podCidrs": ["100.64.0.0/16"],
            "podSubnets": pod_subnets,
        }
    )
    cloudformation = session.client("cloudformation", endpoint_url=cloud.endpoint)
    for name, outputs in (
        (STACK, {"ClusterName": {"Value": "demo"}, "CustomNetworking": {"Value": custom_networking}}),
        ("demo-network", {"VpcId": {"Value": vpc_id}}),
    ):
        # moto wants one resource in a template; the outputs are what the command reads.
        marker = {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": "podnet"}}
        template = {"Resources": {"Marker": marker}, "Outputs": outputs}
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    yield cloud
    server.stop()


def _environment(cloud: Cloud, settings: dict[str, str] | None, home: Path | None) -> dict[str, str]:
    """Only the AWS settings given (default: endpoint, region, keys), no config files, no instance metadata."""
    nowhere = str(home or Path("/nonexistent"))
    return {
        "HOME": nowhere,
        "AWS_CONFIG_FILE": f"{nowhere}/config",
        "AWS_SHARED_CREDENTIALS_FILE": f"{nowhere}/credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        **({"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_REGION": REGION, **KEYS} if settings is None else settings),
    }


def podnet_usage(cloud: Cloud, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the console script ``.venv/bin/podnet usage ARGS`` in a process of its own."""
    done = subprocess.run(
        [PODNET, "usage", *args], capture_output=True, text=True, check=False, env=_environment(cloud, env, None)
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def in_process(cloud: Cloud, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """The same command through ``podnet.cli.main`` in this process (faster: boto3 is loaded once)."""

    def run(*args: str, env: dict[str, str] | None = None, home: Path | None = None) -> tuple[int, str, str]:
        for variable in [v for v in os.environ if v.startswith("AWS_")]:
            monkeypatch.delenv(variable)
        for variable, value in _environment(cloud, env, home).items():
            monkeypatch.setenv(variable, value)
        status = main(["usage", *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


# The real command: exit codes 0, 1 and 2 (one each), both formats.


def test_json_report_and_exit_1_when_a_zone_is_below_20_percent(cloud: Cloud) -> None:
    status, out, err = podnet_usage(cloud, "--stack", STACK, "--format", "json")
    assert (status, err) == (1, "")
    assert json.loads(out) == {
        "cluster": "demo",
        "zones": [
            {
                "name": "us-east-1a",
                "subnetId": cloud.subnets["us-east-1a"],
                "cidr": "100.64.0.0/26",
                "total": 59,
                "free": 8,
                "freePercent": 13.6,
            },
            {
                "name": "us-east-1b",
                "subnetId": cloud.subnets["us-east-1b"],
                "cidr": "100.64.1.0/24",
                "total": 251,
                "free": 251,
                "freePercent": 100.0,
            },
        ],
    }


def test_table_and_exit_0_when_every_zone_has_the_minimum_free(cloud: Cloud) -> None:
    status, out, err = podnet_usage(cloud, "--stack", STACK, "--min-free-percent", "10")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"cluster demo (stack {STACK}, {REGION}): free pod IPs per zone"
    assert lines[2].split() == ["zone", "subnet", "cidr", "total", "free", "free", "%"]
    assert lines[3].split() == ["us-east-1a", cloud.subnets["us-east-1a"], "100.64.0.0/26", "59", "8", "13.6"]
    assert lines[4].split() == ["us-east-1b", cloud.subnets["us-east-1b"], "100.64.1.0/24", "251", "251", "100.0"]
    assert len(lines) == 5


def _fails_in_one_line(result: tuple[int, str, str], expected: str) -> None:
    status, out, err = result
    assert (status, out) == (2, "")
    assert err.startswith(f"podnet: {expected}"), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_exit_2_without_credentials(cloud: Cloud) -> None:
    env = {"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_REGION": REGION}
    _fails_in_one_line(podnet_usage(cloud, "--stack", STACK, env=env), "no AWS credentials found: configure a profile")


# The same command in this process: the other settings and failures.


def test_exit_2_for_an_unknown_stack(in_process: Run) -> None:
    _fails_in_one_line(in_process("--stack", "nope"), "stack nope not found in us-east-1; check --stack and --region")


def test_exit_2_when_access_is_denied(cloud: Cloud, in_process: Run) -> None:
    """A principal that may read the stack but not the subnets, with moto checking IAM policies."""
    iam = cloud.session.client("iam", endpoint_url=cloud.endpoint)
    iam.create_user(UserName="stack-reader")
    iam.put_user_policy(
        UserName="stack-reader",
        PolicyName="stacks-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="stack-reader")["AccessKey"]
    env = {
        "AWS_ENDPOINT_URL": cloud.endpoint,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }
    with enable_iam_authentication():
        result = in_process("--stack", STACK, env=env)
    _fails_in_one_line(
        result,
        "access denied to DescribeSubnets in us-east-1: podnet usage needs cloudformation:DescribeStacks and"
        " ec2:DescribeSubnets",
    )


def test_warns_in_the_table_about_each_zone_below_the_minimum(in_process: Run) -> None:
    status, out, _ = in_process("--stack", STACK)
    assert status == 1
    assert out.splitlines()[5:] == ["warning: us-east-1a has 13.6% of its pod IPs free, below 20%"]
    assert in_process("--stack", STACK, "--min-free-percent", "13.5")[0] == 0
    assert in_process("--stack", STACK, "--min-free-percent", "13.6")[0] == 1


def test_region_option_wins_over_aws_region(cloud: Cloud, in_process: Run) -> None:
    """--region, else AWS_REGION (which boto3 alone would ignore), else the profile's."""
    assert in_process("--stack", STACK, "--region", REGION, env={"AWS_ENDPOINT_URL": cloud.endpoint, **KEYS})[0] == 1
    _fails_in_one_line(
        in_process("--stack", STACK, "--region", "eu-west-1"),
        f"stack {STACK} not found in eu-west-1; check --stack and --region",
    )


def test_profile_from_the_aws_config_file(cloud: Cloud, in_process: Run, tmp_path: Path) -> None:
    (tmp_path / "config").write_text(f"[profile platform]\nregion = {REGION}\n")
    (tmp_path / "credentials").write_text("[platform]\naws_access_key_id = a\naws_secret_access_key = b\n")
    env = {"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_PROFILE": "platform"}
    assert in_process("--stack", STACK, env=env, home=tmp_path)[0] == 1


def test_a_stack_without_the_output(in_process: Run) -> None:
    _fails_in_one_line(
        in_process("--stack", "demo-network"),
        "stack demo-network has no CustomNetworking output; pass podnet's cluster stack (<clusterName>-cluster)",
    )


def test_no_region(cloud: Cloud, in_process: Run) -> None:
    env = {"AWS_ENDPOINT_URL": cloud.endpoint, **KEYS}
    _fails_in_one_line(in_process("--stack", STACK, env=env), "no AWS region: pass --region, set AWS_REGION")


def test_unknown_profile(cloud: Cloud, in_process: Run) -> None:
    env = {"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_REGION": REGION, "AWS_PROFILE": "nobody"}
    _fails_in_one_line(in_process("--stack", STACK, env=env), "The config profile (nobody) could not be found")


def test_rejected_credentials(cloud: Cloud, in_process: Run) -> None:
    with enable_iam_authentication():
        result = in_process("--stack", STACK)
    _fails_in_one_line(result, "AWS rejected the credentials (InvalidClientTokenId)")


def test_unknown_region_in_one_line(in_process: Run) -> None:
    status, out, err = in_process("--stack", STACK, "--region", "us-east-9")
    assert (status, out) == (2, "")
    assert err.startswith("podnet: --region 'us-east-9' is not an AWS region")
    assert "did you mean one of us-east-1, us-east-2?" in err
    assert len(err.splitlines()) == 1


# Without --stack: the configuration's cluster stack, region and account (cdk.json, --config, --environment).

#: The moto stack's deployment: clusterName demo makes the stack demo-cluster; its pod subnets as deployed.
DEMO: dict[str, Any] = {
    "clusterName": "demo",
    "region": REGION,
    "availabilityZones": ["us-east-1a", "us-east-1b"],
    "podSubnets": {"us-east-1a": "100.64.0.0/26", "us-east-1b": "100.64.1.0/24"},
}


@pytest.fixture
def config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Any]], Path]:
    """A project folder without cdk.json, made the current one; write a configuration file into it."""
    monkeypatch.chdir(tmp_path)

    def write(config: dict[str, Any]) -> Path:
        path = tmp_path / "podnet.json"
        path.write_text(json.dumps(config))
        return path

    return write


def test_the_stack_region_and_account_come_from_the_configuration(
    cloud: Cloud, in_process: Run, config_folder: Callable[[dict[str, Any]], Path]
) -> None:
    config = config_folder({**DEMO, "account": "123456789012"})  # moto's account
    # AWS_REGION says eu-west-1: the configuration's region wins (the stack is where podnet deployed it).
    env = {"AWS_ENDPOINT_URL": cloud.endpoint, "AWS_REGION": "eu-west-1", **KEYS}
    status, out, err = in_process("--config", str(config), env=env)
    assert (status, err) == (1, "")
    assert out.startswith(f"cluster demo (stack {STACK}, {REGION}): free pod IPs per zone")
    # --region still overrides.
    _fails_in_one_line(
        in_process("--config", str(config), "--region", "eu-west-1", env=env),
        f"stack {STACK} not found in eu-west-1; check clusterName, region and --environment in the configuration",
    )


def test_credentials_of_another_account_than_the_configurations(
    in_process: Run, config_folder: Callable[[dict[str, Any]], Path]
) -> None:
    config = config_folder({**DEMO, "account": "111111111111"})
    _fails_in_one_line(
        in_process("--config", str(config)),
        "the AWS credentials are for account 123456789012, but the configuration deploys demo-cluster to account"
        " 111111111111; use credentials for 111111111111",
    )


def test_with_environments_the_environment_names_the_stack(
    in_process: Run, config_folder: Callable[[dict[str, Any]], Path]
) -> None:
    config = config_folder({"environments": {"dev": {**DEMO, "clusterName": "demo-dev"}, "prod": {}}})
    _fails_in_one_line(
        in_process("--config", str(config)),
        "the configuration has environments dev, prod; name one with --environment NAME",
    )
    _fails_in_one_line(
        in_process("--config", str(config), "--environment", "dev"),
        "stack dev-demo-dev-cluster not found in us-east-1",
    )


def test_plan_reads_the_deployed_pod_network_from_the_stack(
    cloud: Cloud,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config_folder: Callable[[dict[str, Any]], Path],
) -> None:
    for variable, value in _environment(cloud, None, None).items():
        monkeypatch.setenv(variable, value)
    same = config_folder(DEMO)
    assert main(["plan", "--config", str(same), "--deployed"]) == 0
    out, err = capsys.readouterr()
    assert (out.splitlines()[-1], err) == ("change: none to the pod network", "")

    # A pod subnet that overlaps the deployed one it replaces cannot deploy in one step.
    moved = config_folder({**DEMO, "podSubnets": {**DEMO["podSubnets"], "us-east-1b": "100.64.1.0/25"}})
    assert main(["plan", "--config", str(moved), "--deployed"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("podnet: podSubnets.us-east-1b") and len(err.splitlines()) == 1

    # The stack of another cluster: the AWS error in one line, exit 2 as for usage.
    other = config_folder({**DEMO, "clusterName": "other"})
    assert main(["plan", "--config", str(other), "--deployed"]) == 2
    assert capsys.readouterr().err == (
        "podnet: stack other-cluster not found in us-east-1; check clusterName, region and --environment in the"
        " configuration, or pass --deployed FILE\n"
    )


@pytest.mark.parametrize("value", ["-1", "101", "x"])
def test_min_free_percent_must_be_a_percentage(in_process: Run, value: str) -> None:
    status, out, err = in_process("--stack", STACK, "--min-free-percent", value)
    assert (status, out) == (2, "")
    assert f"argument --min-free-percent: {value!r} is not a percentage; use a number from 0 to 100" in err


def imported_modules(stderr: str) -> set[str]:
    """Top-level package names from ``python -X importtime`` output."""
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0] for line in stderr.splitlines() if line.startswith("import time:")
    }


def test_boto3_only_for_usage_and_never_the_cdk(cloud: Cloud) -> None:
    modules = {}
    for argv, status in ((["max-pods", "m5.large"], 0), (["usage", "--stack", STACK], 1)):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "podnet", *argv],
            capture_output=True,
            text=True,
            check=False,
            env=_environment(cloud, None, None),
        )
        assert done.returncode == status, done.stderr[-500:]
        modules[argv[0]] = imported_modules(done.stderr)
    assert "boto3" in modules["usage"]
    assert not modules["max-pods"] & {"boto3", "botocore"}
    assert not modules["usage"] & {"aws_cdk", "constructs", "cdk8s", "jsii"}
