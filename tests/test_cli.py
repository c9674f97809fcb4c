"""The podnet CLI: max-pods and plan, in-process, plus one real process that must not load the CDK."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podnet.cli import main

ROOT = Path(__file__).parent.parent
ORIGIN = ROOT / "examples" / "origin.json"
EXISTING_VPC = ROOT / "examples" / "existing-vpc.json"
PIPELINE = ROOT / "examples" / "pipeline.json"
CAPACITY_RULE = "(per group, the min of its max nodes x pods per node and its zone's pod IPs less each node's warm IPs)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_max_pods_defaults_to_custom_networking_capped_at_110(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "max-pods", "t3.medium", "m5.large", "m5.xlarge", "m5.24xlarge") == (
        0,
        "t3.medium 12\nm5.large 20\nm5.xlarge 44\nm5.24xlarge 110\n",
        "",
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--no-custom-networking"], "t3.medium 17\nm5.large 29\n"),
        (["--prefix-delegation"], "t3.medium 110\nm5.large 110\n"),
        (["--prefix-delegation", "--cap", "250"], "t3.medium 162\nm5.large 250\n"),
        (["--prefix-delegation", "--no-cap"], "t3.medium 162\nm5.large 290\n"),
        (["--cap", "15"], "t3.medium 12\nm5.large 15\n"),
    ],
)
def test_max_pods_modes(capsys: pytest.CaptureFixture[str], options: list[str], expected: str) -> None:
    assert run(capsys, "max-pods", "t3.medium", "m5.large", *options) == (0, expected, "")


def test_max_pods_unknown_type(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "max-pods", "m5.large", "m5.larg")
    assert status == 1
    assert out == ""
    assert err == "podnet: unknown instance type 'm5.larg'; did you mean m5.large?\n"


def test_max_pods_one_eni_type_has_no_pod_subnet_ips(capsys: pytest.CaptureFixture[str]) -> None:
    """Same verdict as `podnet plan` for a node group of this type: not a number of pods, an error."""
    status, out, err = run(capsys, "max-pods", "m5.large", "hpc6id.32xlarge")
    assert (status, out) == (1, "")
    assert err == (
        "podnet: hpc6id.32xlarge has 1 ENI, and custom networking leaves the primary ENI without pods, so no pod"
        " gets a pod-subnet IP on it; use a type with at least two ENIs (--no-custom-networking for the VPC CNI"
        " default)\n"
    )
    assert run(capsys, "max-pods", "hpc6id.32xlarge", "--no-custom-networking") == (0, "hpc6id.32xlarge 51\n", "")


def test_plan_rejects_the_same_one_eni_type(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hpc.json").write_text('{"nodes": {"instanceTypes": ["hpc6id.32xlarge"]}}')
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "plan", "--config", "hpc.json")
    assert status == 1
    assert err.startswith("podnet: nodes.instanceTypes: hpc6id.32xlarge has 1 ENI, and custom networking leaves")


def test_plan_says_how_to_quote_a_yaml_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "podnet.yaml").write_text("kubernetesVersion: 1.30\n")
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "plan", "--config", "podnet.yaml") == (
        1,
        "",
        "podnet: kubernetesVersion: 1.30 is read as the number 1.3, not as text; quote it: '1.30'\n",
    )


@pytest.mark.parametrize("options", [["--cap", "0"], ["--cap", "x"], ["--cap", "5", "--no-cap"], []])
def test_max_pods_usage_errors(capsys: pytest.CaptureFixture[str], options: list[str]) -> None:
    status, out, err = run(capsys, "max-pods", *options, *(["m5.large"] if options else []))
    assert status == 2
    assert out == ""
    assert "usage: podnet max-pods" in err


def test_plan_without_cdk_json_uses_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "plan", "--format", "json")
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert [zone["name"] for zone in document["zones"]] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert all(set(zone) >= {"name", "nodeSubnet", "podSubnet", "podIps"} for zone in document["zones"])
    assert document["zones"][0]["podSubnet"] == "100.64.0.0/18"
    assert document["instanceTypes"][0] == {"name": "m6i.large", "maxPods": 20}
    assert document["podCapacity"] == 120
    assert [w.split(" ", 1)[0] for w in document["warnings"]] == ["adminRoleArns"]


def test_plan_reads_cdk_json_and_config_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same sources as app.py: cdk.json's context, and the file named by podnet:configFile or --config."""
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"podnet": {"clusterName": "from-cdk-json"}}}))
    (tmp_path / "small.yaml").write_text("nodes:\n  desiredSize: 2\n  maxSize: 2\n")
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "plan", "--config", "small.yaml", "--format", "json")
    document = json.loads(out)
    assert (status, document["clusterName"], document["maxSize"], document["podCapacity"]) == (
        0,
        "from-cdk-json",
        2,
        40,
    )

    (tmp_path / "cdk.json").write_text(
        json.dumps({"context": {"podnet": {"clusterName": "x"}, "podnet:configFile": str(ORIGIN)}})
    )
    status, out, _ = run(capsys, "plan", "--format", "json")
    assert (status, json.loads(out)["clusterName"]) == (0, "test-cluster")


def test_plan_table(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "plan", "--config", str(ORIGIN))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "cluster test-cluster: vpcCidr 10.0.0.0/16, podCidr 172.2.0.0/16, serviceCidr 172.20.0.0/16"
    assert lines[3].split() == ["us-east-1a", "10.0.0.0/19", "10.0.64.0/18", "172.2.3.0/24", "251"]
    assert lines[4].split() == ["us-east-1b", "10.0.32.0/19", "10.0.128.0/18", "-", "0"]
    assert lines[5].split() == ["total", "251"]
    assert lines[8].split() == ["t3.medium", "12"]
    groups = lines.index("node group  min  desired  max  on-demand  pods/node  warm IPs/node  pod capacity")
    # One zone with a pod subnet: one group with every node; 6 nodes x 12 pods = 72 fit in 251 pod IPs less
    # 6 nodes x 5 warm IPs (a spare t3.medium ENI).
    assert lines[groups + 1].split() == ["us-east-1a", "2", "auto", "6", "0", "12", "5", "72"]
    assert lines[groups + 2].split() == ["total", "2", "auto", "6", "0", "72"]
    assert lines[groups - 1] == (
        "nodes: one spot group per zone; the Cluster Autoscaler sets each group's size between its min and max"
    )
    assert f"pod capacity at maxSize 6: 72 {CAPACITY_RULE}" in lines
    assert "pod networking: custom-networking" in lines
    # The roll lines follow the pod networking and routable IP lines.
    roll = lines.index(f"pod capacity at maxSize 6: 72 {CAPACITY_RULE}") + 3
    assert lines[roll : roll + 2] == [
        "node roll (a new AMI release, now v20260714, or CNI settings): every group in turn, the system nodes first,"
        " at most 1 node(s) at once, each replacement counted once its node is Ready",
        "roll estimate at maxSize, system nodes included: 8 nodes in 8 batches, at most 1 out at once: about 24 min,"
        " at most 2.5 h",
    ]
    assert lines[-3].startswith("warning: podCidr 172.2.0.0/16 is publicly routable")
    assert lines[-2].startswith("warning: adminRoleArns is empty")
    assert lines[-1].startswith("note: a pod subnet for a listed zone, a move to a subnet that does not overlap")


def test_plan_table_shows_fixed_sizes_without_the_autoscaler(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fixed.json").write_text(
        json.dumps({"nodes": {"autoscaler": False, "minSize": 2, "desiredSize": 4, "maxSize": 7}})
    )
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "plan", "--config", "fixed.json")
    lines = out.splitlines()
    groups = lines.index("node group  min  desired  max  on-demand  pods/node  warm IPs/node  pod capacity")
    assert status == 0
    assert lines[groups - 1] == "nodes: one spot group per zone; fixed sizes (nodes.autoscaler is false)"
    assert [line.split() for line in lines[groups + 1 : groups + 5]] == [
        ["us-east-1a", "1", "2", "3", "0", "20", "9", "60"],
        ["us-east-1b", "1", "1", "2", "0", "20", "9", "40"],
        ["us-east-1c", "0", "1", "2", "0", "20", "9", "40"],
        ["total", "2", "4", "7", "0", "140"],
    ]


def test_plan_origin_json(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "plan", "--config", str(ORIGIN), "--format", "json")
    document = json.loads(out)
    assert status == 0
    assert [(zone["name"], zone["podSubnet"]) for zone in document["zones"]] == [
        ("us-east-1a", "172.2.3.0/24"),
        ("us-east-1b", None),
    ]
    assert {t["maxPods"] for t in document["instanceTypes"]} == {12}
    assert [warning.split(" ", 1)[0] for warning in document["warnings"]] == ["podCidr", "adminRoleArns"]
    assert "publicly routable" in document["warnings"][0]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('{"podCidr": "192.168.0.0/16"}', "podnet: podCidr 192.168.0.0/16 cannot be added to a VPC whose primary CIDR"),
        ('{"podCidr": "100.64.0.1/16"}', "podnet: podCidr: "),
        ('{"podCidrs": "100.64.0.0/16"}', "podnet: unknown setting 'podCidrs'; did you mean 'podCidr'?"),
        ("{not json", "podnet: configFile bad.json is not valid json"),
    ],
)
def test_plan_invalid_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, expected: str
) -> None:
    (tmp_path / "bad.json").write_text(config)
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "plan", "--config", "bad.json")
    assert (status, out) == (1, "")
    assert err.startswith(expected)
    assert err.count("\n") == 1


def test_plan_missing_config_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "plan", "--config", "nope.yaml")
    assert status == 1
    assert err.startswith("podnet: configFile nope.yaml: No such file or directory")


def test_plan_existing_vpc_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "plan", "--config", str(EXISTING_VPC))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "cluster shared-vpc: existing VPC vpc-0123456789abcdef0, podCidr 100.64.0.0/16, serviceCidr 172.20.0.0/16"
    )
    assert lines[1] == "VPC blocks: 10.20.0.0/16 (existing), 10.21.0.0/16 (existing), 100.64.0.0/16 (new)"
    assert lines[3].split() == ["zone", "node", "subnet", "(existing)", "pod", "subnet", "pod", "IPs"]
    assert lines[4].split() == ["us-east-1a", "subnet-0a1a2a3a4a5a6a7a8", "100.64.0.0/18", "16379"]
    assert lines[7].split() == ["total", "49137"]


def test_plan_with_environments_plans_each(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "plan", "--config", str(PIPELINE), "--format", "json")
    assert (status, err) == (0, "")
    environments = json.loads(out)["environments"]
    assert {name: plan["clusterName"] for name, plan in environments.items()} == {
        "dev": "podnet-dev",
        "prod": "podnet-prod",
    }
    assert [zone["name"] for zone in environments["dev"]["zones"]] == ["eu-west-1a", "eu-west-1b"]

    status, out, _ = run(capsys, "plan", "--config", str(PIPELINE))
    assert status == 0
    headings = [line for line in out.splitlines() if line.startswith("environment ")]
    assert headings == ["environment dev", "environment prod"]
    assert out.splitlines()[1].startswith("cluster podnet-dev: vpcCidr 10.0.0.0/16")


def test_plan_one_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same document as a configuration without environments, for the merged settings of that environment."""
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "plan", "--config", str(PIPELINE), "--environment", "prod", "--format", "json")
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert (document["clusterName"], document["vpcCidr"], document["maxSize"]) == ("podnet-prod", "10.1.0.0/16", 9)

    status, out, _ = run(capsys, "plan", "--config", str(PIPELINE), "--environment", "dev")
    assert status == 0
    assert out.splitlines()[0].startswith("cluster podnet-dev: vpcCidr 10.0.0.0/16")


@pytest.mark.parametrize(
    ("config", "environment", "expected"),
    [
        (PIPELINE, "staging", "podnet: --environment staging: no such environment; defined: dev, prod\n"),
        (
            ORIGIN,
            "dev",
            "podnet: --environment dev: the configuration has no environments; leave --environment out\n",
        ),
    ],
)
def test_plan_unknown_environment(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: Path,
    environment: str,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "plan", "--config", str(config), "--environment", environment) == (1, "", expected)


CDK_MODULES = ("aws_cdk", "constructs", "cdk8s", "jsii")


def imported_modules(stderr: str) -> set[str]:
    """Module names from ``python -X importtime`` output."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_real_process_is_fast_and_loads_no_cdk() -> None:
    """The console script and ``python -m podnet`` run without aws-cdk-lib, in well under a second."""
    script = Path(sys.executable).parent / "podnet"
    started = time.monotonic()
    done = subprocess.run([script, "max-pods", "m5.large"], capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.monotonic() - started
    assert (done.returncode, done.stdout, done.stderr) == (0, "m5.large 20\n", "")
    assert elapsed < 2, f"podnet max-pods took {elapsed:.2f}s"

    for argv in (["max-pods", "m5.large"], ["plan", "--format", "json"]):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "podnet", *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-500:]
        modules = imported_modules(done.stderr)
        assert "podnet.cli" in modules
        assert not {module for module in modules if module.split(".")[0] in CDK_MODULES}
        if argv[0] == "max-pods":
            assert "pydantic" not in modules, "max-pods should not pay for loading the configuration code"

    done = subprocess.run([script, "max-pods", "m9.nothing"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_make_plan_passes_the_config_the_environment_and_the_deployed_file() -> None:
    """``make plan CONFIG= ENVIRONMENT= DEPLOYED=``: --deployed with environments needs --environment."""
    dry_run = subprocess.run(
        ["make", "-n", "plan", "CONFIG=new.json", "ENVIRONMENT=dev", "DEPLOYED=deployed.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (command,) = [line for line in dry_run.stdout.splitlines() if "podnet plan" in line]
    assert command.split()[1:] == [
        "plan",
        "--config",
        "new.json",
        "--environment",
        "dev",
        "--deployed",
        "deployed.json",
    ]
