"""scripts/verify_custom_networking.py: its checks against kubectl JSON in the shape a real cluster returns.

The fixtures under tests/fixtures/kubectl/ are one healthy three-zone cluster and, per failure mode, one file
that differs from it in exactly that respect.
"""

import json
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from scripts import verify_custom_networking as verify
from tests.support.cfn_tokens import render_json
from tests.support.kubectl import aws_node_daemonset, strategic_patch
from tests.support.synth import Synthesized

KUBECTL = Path(__file__).parent / "fixtures" / "kubectl"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((KUBECTL / f"{name}.json").read_text())
    return document


@pytest.fixture
def expected() -> verify.Expected:
    return verify.parse_expected(fixture("expected"))


def failures(checks: list[verify.Check]) -> list[str]:
    return [check.name for check in checks if not check.ok]


def all_checks(expected: verify.Expected, **files: str) -> list[verify.Check]:
    """Every pure check over the healthy fixtures, with some replaced (aws_node=, eni_configs=, pods=)."""
    names = {"aws_node": "aws-node", "nodes": "nodes", "eni_configs": "eniconfigs", "pods": "pods"} | files
    zones = verify.node_zones(fixture(names["nodes"]))
    return [
        *verify.check_aws_node(fixture(names["aws_node"])),
        *verify.check_nodes(zones, expected),
        *verify.check_eni_configs(fixture(names["eni_configs"]), zones, expected),
        *verify.check_pod_ips(fixture(names["pods"]), zones, expected),
    ]


def test_healthy_cluster_passes(expected: verify.Expected) -> None:
    checks = all_checks(expected)
    assert failures(checks) == []
    assert [check.name for check in checks] == [
        "aws-node AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
        "aws-node ENI_CONFIG_LABEL_DEF",
        "nodes",
        *(f"ENIConfig {zone}" for zone in ZONES),
        *(f"pod IP in {zone}" for zone in ZONES),
    ]


def test_node_zones_come_from_the_zone_label() -> None:
    assert verify.node_zones(fixture("nodes")) == ZONES


def test_custom_networking_off_fails(expected: verify.Expected) -> None:
    checks = all_checks(expected, aws_node="aws-node-custom-networking-off")
    assert failures(checks) == ["aws-node AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "aws-node ENI_CONFIG_LABEL_DEF"]
    assert "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=false, want true" in checks[0].line()
    assert "ENI_CONFIG_LABEL_DEF is not set" in checks[1].line()


def test_wrong_label_def_fails(expected: verify.Expected) -> None:
    checks = all_checks(expected, aws_node="aws-node-label-def-wrong")
    assert failures(checks) == ["aws-node ENI_CONFIG_LABEL_DEF"]
    assert checks[1].line() == (
        "FAIL  aws-node ENI_CONFIG_LABEL_DEF: ENI_CONFIG_LABEL_DEF=failure-domain.beta.kubernetes.io/zone,"
        " want topology.kubernetes.io/zone"
    )


def test_missing_eni_config_fails(expected: verify.Expected) -> None:
    checks = all_checks(expected, eni_configs="eniconfigs-missing-us-east-1c")
    assert failures(checks) == ["ENIConfig us-east-1c"]


def test_eni_config_with_the_wrong_subnet_fails(expected: verify.Expected) -> None:
    checks = all_checks(expected, eni_configs="eniconfigs-wrong-subnet-us-east-1b")
    assert failures(checks) == ["ENIConfig us-east-1b"]
    (check,) = [c for c in checks if not c.ok]
    assert check.detail == "subnet subnet-0a1a1a1a1a1a1a1a1, want subnet-0b2b2b2b2b2b2b2b2"


def test_pod_ip_outside_the_pod_subnet_fails(expected: verify.Expected) -> None:
    checks = all_checks(expected, pods="pods-us-east-1c-on-node-subnet")
    assert failures(checks) == ["pod IP in us-east-1c"]
    (check,) = [c for c in checks if not c.ok]
    assert check.detail == "10.0.160.77 on 10.0.160.30, want in 100.64.128.0/18 (pod CIDR 100.64.0.0/16)"


def test_pod_ip_in_an_additional_pod_block_passes() -> None:
    """A zone whose pod subnet lies in an additionalPodCidrs block, not in podCidr."""
    document = fixture("expected")
    document["podCidrs"].append("100.65.0.0/16")
    document["podSubnets"]["us-east-1a"]["cidr"] = "100.65.0.0/18"
    pods = fixture("pods")
    pods["items"][0]["status"]["podIP"] = "100.65.3.4"  # the us-east-1a pod
    assert failures(verify.check_pod_ips(pods, ZONES, verify.parse_expected(document))) == []
    document["podCidrs"].remove("100.65.0.0/16")
    assert failures(verify.check_pod_ips(pods, ZONES, verify.parse_expected(document))) == ["pod IP in us-east-1a"]


def test_pod_ip_in_another_zones_pod_subnet_fails(expected: verify.Expected) -> None:
    pods = fixture("pods")
    pods["items"][0]["status"]["podIP"] = "100.64.77.6"  # us-east-1b's subnet, for the us-east-1a pod
    assert failures(verify.check_pod_ips(pods, ZONES, expected)) == ["pod IP in us-east-1a"]


def test_pending_pod_without_ip_fails(expected: verify.Expected) -> None:
    pods = fixture("pods")
    del pods["items"][1]["status"]["podIP"]
    pods["items"][1]["status"]["phase"] = "Pending"
    (check,) = [c for c in verify.check_pod_ips(pods, ZONES, expected) if not c.ok]
    assert check.line() == "FAIL  pod IP in us-east-1b: no IP (Pending); pods in this zone cannot get an address"


def test_nodes_in_a_zone_without_pod_subnet_fail(expected: verify.Expected) -> None:
    assert failures(verify.check_nodes([*ZONES, "us-east-1d"], expected)) == ["nodes"]
    assert failures(verify.check_nodes([], expected)) == ["nodes"]


def test_probe_pods_stay_off_the_host_network_and_pin_their_zone() -> None:
    pod = verify.probe_pod("us-east-1b", "abc", "podnet-verify")
    assert pod["spec"]["hostNetwork"] is False
    assert pod["spec"]["nodeSelector"] == {"topology.kubernetes.io/zone": "us-east-1b"}
    assert pod["metadata"]["labels"] == {verify.RUN_LABEL: "abc"}


def test_expected_comes_from_the_stack_output() -> None:
    outputs = [
        {"OutputKey": "ClusterName", "OutputValue": "podnet"},
        {"OutputKey": "CustomNetworking", "OutputValue": json.dumps(fixture("expected"))},
    ]
    expected = verify.expected_from_outputs(outputs)
    assert expected.subnets["us-east-1c"].subnet_id == "subnet-0c3c3c3c3c3c3c3c3"
    with pytest.raises(verify.VerifyError, match="no CustomNetworking output"):
        verify.expected_from_outputs(outputs[:1])
    with pytest.raises(verify.VerifyError, match="malformed"):
        verify.parse_expected({"podCidr": "100.64.0.0/16"})


class RecordingKubectl(verify.Kubectl):
    """Answers from the fixtures, records every command, and can fail one of them."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__()
        self.calls: list[tuple[str, ...]] = []
        self.applied: list[dict[str, Any]] = []
        self.fail_on = fail_on

    def run(self, *args: str, stdin: str | None = None) -> str:
        self.calls.append(args)
        if stdin is not None:
            self.applied += json.loads(stdin)["items"]
        if self.fail_on and self.fail_on in args:
            raise verify.VerifyError(f"kubectl {' '.join(args)}: boom")
        if args[0] != "get":
            return ""
        answers = {"daemonset": "aws-node", "nodes": "nodes", "eniconfigs.crd.k8s.amazonaws.com": "eniconfigs"}
        if args[1] == "namespace":
            return json.dumps({"kind": "Namespace", "metadata": {"name": args[2]}})
        return json.dumps(fixture(answers.get(args[1], "pods")))


def test_run_checks_applies_one_pod_per_zone_and_cleans_up(expected: verify.Expected) -> None:
    kubectl = RecordingKubectl()
    checks = verify.run_checks(kubectl, expected, "podnet-verify")
    assert failures(checks) == []
    assert [pod["spec"]["nodeSelector"][verify.ZONE_LABEL] for pod in kubectl.applied] == ZONES
    (run_id,) = {pod["metadata"]["labels"][verify.RUN_LABEL] for pod in kubectl.applied}
    assert kubectl.calls[-1] == (
        "delete",
        "pods",
        "-n",
        "podnet-verify",
        "-l",
        f"{verify.RUN_LABEL}={run_id}",
        "--wait=false",
        "--ignore-not-found",
    )


def test_run_checks_cleans_up_when_a_step_fails(expected: verify.Expected) -> None:
    kubectl = RecordingKubectl(fail_on="pods")  # `kubectl get pods` fails after the pods were applied
    with pytest.raises(verify.VerifyError, match="boom"):
        verify.run_checks(kubectl, expected, "podnet-verify")
    assert [call[0] for call in kubectl.calls][-3:] == ["wait", "get", "delete"]


def test_subnet_discovery_checks_discovery_on_and_takes_ips_of_a_discovered_subnet(
    subnet_discovery_app: Synthesized,
) -> None:
    """The subnet-discovery app's own CustomNetworking output: aws-node must have custom networking off and subnet
    discovery on, and a pod IP in the zone's second (discovered) pod subnet passes."""
    document = render_json(subnet_discovery_app.cluster["Outputs"]["CustomNetworking"]["Value"])
    expected = verify.parse_expected(document)
    assert expected.pod_networking == "subnet-discovery"
    assert expected.zone_subnets("us-east-1a")[1] == IPv4Network("100.65.0.0/18")
    daemonset = strategic_patch(
        aws_node_daemonset(), render_json(subnet_discovery_app.aws_node_patch()["ApplyPatchJson"])
    )
    assert failures(verify.check_aws_node(daemonset, expected.pod_networking)) == []
    assert failures(verify.check_aws_node(daemonset)) == ["aws-node AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"], (
        "the custom-networking check fails on it"
    )
    pods = fixture("pods")
    # One pod per zone (us-east-1a, b, c): in a's discovered subnet, b's first one, c's discovered one.
    for item, subnet in zip(pods["items"], ("100.65.3.4", "100.64.70.5", "100.65.130.9"), strict=True):
        item["status"]["podIP"] = subnet
    assert failures(verify.check_pod_ips(pods, ZONES, expected)) == []
