"""``podnet preflight`` as users run it: the real command (.venv/bin/podnet) against a moto server on 127.0.0.1 for
each exit status and both formats; the same command through ``podnet.cli.main`` in this process, against the same
server, for the other failures (a process of its own would add only its start-up); and the account reader in-process
under mock_aws for what needs a stubbed answer or an existing VPC."""

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.server import ThreadedMotoServer

from podnet.cli import main
from podnet.config.loading import parse_config
from podnet.config.model import PodnetConfig
from podnet.ipplan.ami_releases import PINNED_AMI_RELEASES
from podnet.preflight.account import run_checks, target_of
from tests.support import REPO_ROOT
from tests.support.eks_ami_parameters import publish_pinned_releases, publish_releases

PODNET = Path(sys.executable).parent / "podnet"
REGION = "us-east-1"
PINNED = PINNED_AMI_RELEASES[("1.36", "x86_64")]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _moto_api(endpoint: str, path: str, body: str = "") -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}", data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request).close()


@pytest.fixture
def endpoint(moto_endpoint: str) -> Iterator[str]:
    """The server with a fresh account, and IAM authentication off, for each test.

    The server runs in this process, and its authentication setting is moto's global one: it is switched off again
    afterwards, or a later test's ``mock_aws`` in this process would check IAM too.
    """
    _moto_api(moto_endpoint, "reset")
    _moto_api(moto_endpoint, "reset-auth", "inf")
    publish_pinned_releases(REGION, "eu-west-1")
    yield moto_endpoint
    _moto_api(moto_endpoint, "reset-auth", "inf")


def _environment(endpoint: str, **overrides: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **keep,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **overrides,
    }


def _arguments(tmp_path: Path, args: tuple[str, ...], config: dict[str, Any] | None) -> list[str]:
    if config is None:
        return ["preflight", *args]
    (tmp_path / "config.json").write_text(json.dumps(config))
    return ["preflight", "--config", "config.json", *args]


def preflight(
    tmp_path: Path, env: dict[str, str], *args: str, config: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed command in a folder without cdk.json (the defaults), optionally with a config file."""
    return subprocess.run(
        [str(PODNET), *_arguments(tmp_path, args, config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


InProcess = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcess:
    """``preflight`` above, through ``podnet.cli.main`` in this process: same folder, same AWS settings."""

    def run(env: dict[str, str], *args: str, config: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
        for variable in [v for v in os.environ if v.startswith("AWS_")]:
            monkeypatch.delenv(variable)
        for variable, value in env.items():
            if variable.startswith("AWS_"):
                monkeypatch.setenv(variable, value)
        monkeypatch.chdir(tmp_path)
        arguments = _arguments(tmp_path, args, config)
        status = main(arguments)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(arguments, status, out, err)

    return run


def test_the_default_configuration_passes(endpoint: str, tmp_path: Path) -> None:
    done = preflight(tmp_path, _environment(endpoint))
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0] == "preflight of podnet (podnet) in account 123456789012, us-east-1:"
    assert "PASS  availabilityZones: us-east-1a (use1-az6) is available to EKS" in lines
    assert "PASS  nodes.instanceTypes: m6i.large is offered in every node zone" in lines
    # moto's Service Quotas knows no EC2 quota: the Elastic IP check says it did not run, and why.
    (eip,) = [line for line in lines if "natGateways" in line]
    assert eip.startswith("SKIP  natGateways: not checked, the Service Quotas API did not answer")
    assert (
        f"PASS  nodes.amiReleaseVersion: podnet's pinned release {PINNED} is EKS's recommended release or newer"
        in lines
    )
    assert lines[-1] == "all 10 checks pass (1 not checked)"


def test_a_newer_ami_release_is_named_with_the_roll_it_starts(endpoint: str, tmp_path: Path) -> None:
    publish_releases(REGION, "1.36", "x86_64", ["v20260923"])
    done = preflight(tmp_path, _environment(endpoint), config={"nodes": {"maxSize": 300}})
    assert done.returncode == 0, done.stdout
    (line,) = [line for line in done.stdout.splitlines() if "nodes.amiReleaseVersion" in line]
    assert line == (
        f"PASS  nodes.amiReleaseVersion: podnet's pinned release {PINNED} runs; EKS recommends the newer v20260923"
        " (amazon-eks-node-al2023-x86_64-standard-1.36-v20260923). Setting nodes.amiReleaseVersion to v20260923 rolls"
        " every node on the next deploy: 302 nodes in 14 batches, at most 30 out at once: about 42 min, at most 4.4 h"
    )


def test_a_configured_release_that_does_not_exist_fails(endpoint: str, in_process: InProcess) -> None:
    done = in_process(_environment(endpoint), config={"nodes": {"amiReleaseVersion": "v20260101"}})
    assert done.returncode != 0
    (line,) = [line for line in done.stdout.splitlines() if "nodes.amiReleaseVersion" in line]
    assert line == (
        "FAIL  nodes.amiReleaseVersion: the configured release v20260101 has no AL2023 x86_64 AMI for Kubernetes"
        " 1.36 in us-east-1; set nodes.amiReleaseVersion to a release amazon-eks-ami published for it"
    )


def test_a_refused_zone_and_missing_offerings_fail_one_line_each(endpoint: str, tmp_path: Path) -> None:
    """In moto's account, as in many real ones, us-east-1e is use1-az3 (EKS refuses it) and lacks these types."""
    config = {
        "availabilityZones": ["us-east-1a", "us-east-1e"],
        "nodes": {"instanceTypes": ["m5.large", "m6i.large", "m7a.large"]},
    }
    done = preflight(tmp_path, _environment(endpoint), "--format", "json", config=config)
    assert (done.returncode, done.stderr) == (1, "")
    report = json.loads(done.stdout)
    assert report["passed"] is False
    (deployment,) = report["deployments"]
    assert (deployment["account"], deployment["region"], deployment["clusterName"]) == (
        "123456789012",
        REGION,
        "podnet",
    )
    failed = [check for check in deployment["checks"] if check["status"] == "fail"]
    assert [(c["setting"], c["message"].split(";")[0]) for c in failed] == [
        (
            "availabilityZones",
            "availabilityZones: us-east-1e is use1-az3 in this account, a zone EKS does not accept for control-plane"
            " subnets",
        ),
        ("nodes.instanceTypes", "nodes.instanceTypes: m5.large is not offered in us-east-1e"),
        ("nodes.instanceTypes", "nodes.instanceTypes: m6i.large is not offered in us-east-1e"),
        ("nodes.instanceTypes", "nodes.instanceTypes: m7a.large is not offered in us-east-1e"),
    ]
    assert all("; " in c["message"] for c in failed)  # ... each with its fix


def test_an_environment_is_checked_in_its_own_region(endpoint: str, in_process: InProcess) -> None:
    config = {
        "environments": {
            "dev": {"region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b"], "clusterName": "dev"},
            "prod": {},
        }
    }
    done = in_process(_environment(endpoint), "--environment", "dev", config=config)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == "preflight of dev (dev) in account 123456789012, eu-west-1:"
    assert "PASS  environments.dev.availabilityZones: eu-west-1a (euw1-az3) is available to EKS" in done.stdout
    unknown = in_process(_environment(endpoint), "--environment", "qa", config=config)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == "podnet: --environment qa: no such environment; defined: dev, prod\n"


def test_a_pipeline_configuration_defers_to_each_environment(tmp_path: Path) -> None:
    """make deploy CONFIG=examples/pipeline.json deploys only the pipeline: nothing to check with these credentials."""
    config = json.loads((REPO_ROOT / "examples" / "pipeline.json").read_text())
    done = preflight(tmp_path, _environment("http://127.0.0.1:9"), config=config)
    assert (done.returncode, done.stdout) == (0, "")
    assert "run podnet preflight --environment NAME with each environment's credentials" in done.stderr


def test_credentials_for_another_account_cannot_run(endpoint: str, in_process: InProcess) -> None:
    done = in_process(_environment(endpoint), config={"account": "111111111111"})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "podnet: the credentials are for account 123456789012 but the configuration's account is 111111111111; use"
        " credentials for 111111111111 (AWS_PROFILE, aws sso login)\n"
    )


def test_no_credentials_cannot_run_and_says_what_to_do(endpoint: str, tmp_path: Path) -> None:
    env = _environment(endpoint)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    done = preflight(tmp_path, env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("podnet: no AWS credentials found; configure them")
    assert len(done.stderr.splitlines()) == 1  # no traceback


def test_access_denied_cannot_run(endpoint: str, in_process: InProcess) -> None:
    """A user without EC2 read access: moto's IAM enforcement answers like AWS."""
    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    iam.create_user(UserName="no-ec2")
    key = iam.create_access_key(UserName="no-ec2")["AccessKey"]
    _moto_api(endpoint, "reset-auth", "0")  # from now on every request is authorised against IAM
    env = _environment(endpoint, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    done = in_process(env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("podnet: access denied for ")
    assert "preflight needs read-only access" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_bad_setting_fails_before_any_aws_call(tmp_path: Path) -> None:
    done = preflight(tmp_path, _environment("http://127.0.0.1:9"), config={"podCidr": "100.64.0.0/33"})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("podnet: podCidr")


def test_the_command_loads_neither_the_cdk_nor_boto3_until_preflight_runs(endpoint: str, tmp_path: Path) -> None:
    script = (
        "import sys, podnet.cli as cli; loaded = 'boto3' in sys.modules;"
        " status = cli.main(['preflight']);"
        " print(loaded, status, any(m.split('.')[0] in ('aws_cdk', 'jsii', 'cdk8s') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=_environment(endpoint), capture_output=True, text=True
    )
    assert done.stdout.splitlines()[-1] == "False 0 False", done.stderr


# In-process: the account reader with a stubbed Service Quotas answer, and existingVpc settings.


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        publish_pinned_releases(REGION)
        yield boto3.Session(region_name=REGION)


def _config(**overrides: Any) -> PodnetConfig:
    """A configuration as app.py and the CLI parse it (two zones, one instance type)."""
    raw: dict[str, Any] = {
        "region": REGION,
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "nodes": {"instanceTypes": ["m5.large"]},
    }
    return parse_config(raw | overrides)


class QuotaSession:
    """A boto3 session whose Service Quotas client answers from a Stubber (validated against the service model)."""

    def __init__(self, session: boto3.Session, value: float) -> None:
        self.session = session
        self.value = value

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self.session.client(service, **kwargs)  # type: ignore[call-overload]
        if service == "service-quotas":
            stubber = Stubber(client)
            stubber.add_response(
                "get_service_quota",
                {
                    "Quota": {
                        "ServiceCode": "ec2",
                        "QuotaCode": "L-0263D0A3",
                        "QuotaName": "EC2-VPC Elastic IPs",
                        "Value": self.value,
                    }
                },
                {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
            )
            stubber.activate()
        return client


def test_elastic_ips_in_use_leave_too_few_for_the_nat_gateways(aws: boto3.Session) -> None:
    ec2 = aws.client("ec2")
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    _, results = run_checks(target_of(_config()), QuotaSession(aws, 5.0))  # type: ignore[arg-type]
    (eip,) = [r for r in results if r.check == "elastic-ips"]
    assert (eip.status, eip.setting) == ("fail", "natGateways")
    assert "2 NAT gateways need 2 Elastic IPs but only 1 of the region's 5 are free (4 in use)" in eip.message
    _, results = run_checks(target_of(_config(natGateways=1)), QuotaSession(aws, 5.0))  # type: ignore[arg-type]
    assert [r.status for r in results if r.check == "elastic-ips"] == ["pass"]


def _existing_vpc_account(ec2: Any) -> dict[str, Any]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    nodes = {}
    for zone, cidr in (("us-east-1a", "10.0.0.0/20"), ("us-east-1b", "10.0.16.0/20")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        nodes[zone] = {"subnetId": subnet, "routeTableId": table}
    return {"vpcId": vpc, "cidrBlocks": ["10.0.0.0/16"], "nodeSubnets": nodes}


def _existing_vpc_config(settings: dict[str, Any], **overrides: Any) -> PodnetConfig:
    """existingVpc mode: the zones are those of nodeSubnets, as the configuration defaults them."""
    return parse_config(
        {"region": REGION, "nodes": {"instanceTypes": ["m5.large"]}, "existingVpc": settings, **overrides}
    )


def test_existing_vpc_checks_read_the_vpc_its_subnets_and_routes(aws: boto3.Session) -> None:
    ec2 = aws.client("ec2")
    settings = _existing_vpc_account(ec2)
    config = _existing_vpc_config(settings)
    _, results = run_checks(target_of(config), aws)
    vpc_results = [r for r in results if r.check == "existing-vpc"]
    assert [r.status for r in vpc_results] == ["pass"] * 5, [r.message for r in vpc_results]
    assert [r.status for r in results if r.check == "elastic-ips"] == ["pass"]  # no NAT gateway in an existing VPC

    table = settings["nodeSubnets"]["us-east-1a"]["routeTableId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=settings["vpcId"])
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="100.64.1.0/24", GatewayId=gateway)
    ec2.associate_vpc_cidr_block(VpcId=settings["vpcId"], CidrBlock="100.96.0.0/16")
    _, results = run_checks(target_of(config), aws)
    failed = {r.setting: r.message for r in results if r.status == "fail"}
    assert set(failed) == {"existingVpc.cidrBlocks", "podCidr"}
    assert "100.96.0.0/16" in failed["existingVpc.cidrBlocks"]
    assert f"100.64.1.0/24 -> {gateway} in {table}" in failed["podCidr"]


def test_additional_pod_cidrs_are_checked_against_the_existing_vpc(aws: boto3.Session) -> None:
    ec2 = aws.client("ec2")
    settings = _existing_vpc_account(ec2)
    config = _existing_vpc_config(settings, additionalPodCidrs=["100.96.0.0/16", "100.97.0.0/16"])
    _, results = run_checks(target_of(config), aws)
    # The blocks, each pod block free, two node subnets, no route destination inside any pod block.
    assert [r.status for r in results if r.check == "existing-vpc"] == ["pass"] * (1 + 3 + 2 + 3)
    ec2.associate_vpc_cidr_block(VpcId=settings["vpcId"], CidrBlock="100.97.0.0/16")
    _, results = run_checks(target_of(config), aws)
    failed = {r.setting: r.message for r in results if r.status == "fail"}
    assert set(failed) == {"existingVpc.cidrBlocks", "additionalPodCidrs[1]"}
    assert "100.97.0.0/16 is already associated with" in failed["additionalPodCidrs[1]"]


def test_a_missing_existing_vpc_fails_on_its_id(aws: boto3.Session) -> None:
    settings = {
        "vpcId": "vpc-0123456789abcdef0",
        "cidrBlocks": ["10.0.0.0/16"],
        "nodeSubnets": {
            "us-east-1a": {"subnetId": "subnet-0a", "routeTableId": "rtb-0a"},
            "us-east-1b": {"subnetId": "subnet-0b", "routeTableId": "rtb-0b"},
        },
    }
    config = _existing_vpc_config(settings)
    _, results = run_checks(target_of(config), aws)
    (missing,) = [r for r in results if r.check == "existing-vpc"]
    assert (missing.status, missing.setting) == ("fail", "existingVpc.vpcId")


def test_make_deploy_runs_preflight_first_unless_skipped() -> None:
    dry_run = subprocess.run(["make", "-n", "deploy"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    commands = [line for line in dry_run.stdout.splitlines() if "podnet preflight" in line or "cdk" in line]
    assert "podnet preflight" in commands[0]
    assert "deploy --all" in commands[1]
    skipped = subprocess.run(
        ["make", "-n", "deploy", "PREFLIGHT=0"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert "podnet preflight" not in skipped.stdout
    assert "deploy --all" in skipped.stdout
