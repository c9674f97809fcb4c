#!/usr/bin/env python3
"""Prove on a live cluster that pods take their IPs from the pod subnets (VPC CNI custom networking or subnet
discovery).

Checks: aws-node has custom networking on and keyed by zone (with subnet discovery: custom networking off, subnet
discovery on); every zone with nodes has an ENIConfig that points to that zone's pod subnet (custom networking
only); a short-lived pod per zone gets an IP inside one of the zone's pod subnets and a pod CIDR block.
Exit 0 when all pass, 1 when a check fails, 2 when the check cannot run (no kubectl, bad expectations).

The expected pod subnets come from the cluster stack's ``CustomNetworking`` output: ``--from-stack STACK``
(reads it with the AWS CLI), ``--expected JSON`` or the ``PODNET_EXPECTED`` variable (the pipeline's
verification build). Standard library only: it runs on a stock CodeBuild image as well as on a laptop.

The logic is pure functions over parsed ``kubectl -o json`` output; ``Kubectl`` is the only part that runs things.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import Any

CUSTOM_NETWORK_VAR = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"
LABEL_DEF_VAR = "ENI_CONFIG_LABEL_DEF"
SUBNET_DISCOVERY_VAR = "ENABLE_SUBNET_DISCOVERY"
ZONE_LABEL = "topology.kubernetes.io/zone"
OUTPUT_KEY = "CustomNetworking"
DEFAULT_NAMESPACE = "podnet-verify"
RUN_LABEL = "podnet.io/verify-run"
#: Small, public (no Docker Hub rate limit), pulls through the nodes' NAT; it only has to start.
TEST_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"
POD_READY_TIMEOUT = "180s"

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class PodSubnet:
    subnet_id: str
    cidr: IPv4Network


@dataclass(frozen=True)
class Expected:
    """What the cluster stack deployed: the pod CIDR and, per zone, the pod subnet."""

    #: podCidr and any additionalPodCidrs.
    pod_cidrs: tuple[IPv4Network, ...]
    subnets: dict[str, PodSubnet]
    #: custom-networking (ENIConfigs) or subnet-discovery (tagged subnets, no ENIConfigs).
    pod_networking: str = "custom-networking"
    #: Zone -> its further pod subnets (subnet discovery), where a pod may get its IP too.
    discovered: dict[str, tuple[IPv4Network, ...]] | None = None

    def zone_subnets(self, zone: str) -> tuple[IPv4Network, ...]:
        """Every pod subnet of ``zone``: the first, then the discovered ones."""
        first = (self.subnets[zone].cidr,) if zone in self.subnets else ()
        return first + (self.discovered or {}).get(zone, ())


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


class VerifyError(Exception):
    """The checks cannot run (as opposed to a check that fails)."""


def parse_expected(document: JsonObject) -> Expected:
    """The ``CustomNetworking`` output: {"podCidrs": [...], "podSubnets": {zone: {"subnetId": ..., "cidr": ...}}}."""
    try:
        subnets = {
            zone: PodSubnet(subnet_id=str(entry["subnetId"]), cidr=IPv4Network(entry["cidr"]))
            for zone, entry in document["podSubnets"].items()
        }
        pod_cidrs = tuple(IPv4Network(block) for block in document["podCidrs"])
        discovered = {
            zone: tuple(IPv4Network(cidr) for cidr in cidrs)
            for zone, cidrs in document.get("discoveredPodSubnets", {}).items()
        }
        mode = str(document.get("podNetworking", "custom-networking"))
        return Expected(pod_cidrs=pod_cidrs, subnets=subnets, pod_networking=mode, discovered=discovered)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise VerifyError(
            f"expected pod subnets are malformed ({error!r}); pass the {OUTPUT_KEY} stack output"
        ) from None


def expected_from_outputs(outputs: Sequence[JsonObject]) -> Expected:
    """Pick the ``CustomNetworking`` output out of ``describe-stacks`` Outputs."""
    for output in outputs:
        if output.get("OutputKey") == OUTPUT_KEY:
            return parse_expected(json.loads(output["OutputValue"]))
    raise VerifyError(f"the stack has no {OUTPUT_KEY} output; deploy the current podnet version first")


def _container_env(daemonset: JsonObject, container: str) -> dict[str, str]:
    for spec in daemonset["spec"]["template"]["spec"]["containers"]:
        if spec["name"] == container:
            return {var["name"]: var.get("value", "") for var in spec.get("env", [])}
    return {}


def check_aws_node(daemonset: JsonObject, pod_networking: str = "custom-networking") -> list[Check]:
    """aws-node must create pod ENIs from ENIConfigs selected by the node's zone label (custom networking), or with
    custom networking off and subnet discovery on (subnet-discovery)."""
    env = _container_env(daemonset, "aws-node")
    if pod_networking == "subnet-discovery":
        wanted = {CUSTOM_NETWORK_VAR: "false", SUBNET_DISCOVERY_VAR: "true"}
    else:
        wanted = {CUSTOM_NETWORK_VAR: "true", LABEL_DEF_VAR: ZONE_LABEL}
    checks = []
    for name, value in wanted.items():
        found = env.get(name)
        detail = f"{name}={found}" if found is not None else f"{name} is not set"
        checks.append(
            Check(f"aws-node {name}", found == value, detail if found == value else f"{detail}, want {value}")
        )
    return checks


def node_zones(nodes: JsonObject) -> list[str]:
    """The zones that have nodes (their topology.kubernetes.io/zone label), sorted."""
    zones = {item["metadata"].get("labels", {}).get(ZONE_LABEL) for item in nodes["items"]}
    return sorted(zone for zone in zones if zone)


def check_nodes(zones: Sequence[str], expected: Expected) -> list[Check]:
    """There are nodes, and each of their zones has a pod subnet."""
    if not zones:
        return [Check("nodes", False, f"no node carries the {ZONE_LABEL} label; are any nodes Ready?")]
    unknown = [zone for zone in zones if zone not in expected.subnets]
    if unknown:
        return [Check("nodes", False, f"nodes in {', '.join(unknown)}, which has no pod subnet")]
    return [Check("nodes", True, f"nodes in {', '.join(zones)}")]


def check_eni_configs(eni_configs: JsonObject, zones: Sequence[str], expected: Expected) -> list[Check]:
    """Every zone with nodes has an ENIConfig named after it, pointing to that zone's pod subnet."""
    by_name = {item["metadata"]["name"]: item for item in eni_configs["items"]}
    checks = []
    for zone in zones:
        name = f"ENIConfig {zone}"
        if zone not in by_name:
            checks.append(Check(name, False, "missing; nodes in this zone cannot get pod ENIs"))
            continue
        subnet = by_name[zone].get("spec", {}).get("subnet")
        want = expected.subnets[zone].subnet_id if zone in expected.subnets else None
        ok = want is not None and subnet == want
        checks.append(Check(name, ok, f"subnet {subnet}" + ("" if ok else f", want {want}")))
    return checks


def probe_pod(zone: str, run_id: str, namespace: str) -> JsonObject:
    """A pod pinned to ``zone``, on the pod network (not the host's), that only has to start."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"verify-{zone}-{run_id}", "namespace": namespace, "labels": {RUN_LABEL: run_id}},
        "spec": {
            "nodeSelector": {ZONE_LABEL: zone},
            "hostNetwork": False,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            # Pod Security "restricted" (the pipeline's podnet-verify namespace enforces it).
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "probe",
                    "image": TEST_IMAGE,
                    "command": ["sleep", "600"],
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "16Mi"}},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "runAsNonRoot": True,
                        "runAsUser": 65534,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }


def check_pod_ips(pods: JsonObject, zones: Sequence[str], expected: Expected) -> list[Check]:
    """Each zone's test pod has an IP inside that zone's pod subnet (and so inside a pod CIDR block)."""
    by_zone = {item["spec"].get("nodeSelector", {}).get(ZONE_LABEL): item for item in pods["items"]}
    checks = []
    for zone in zones:
        name = f"pod IP in {zone}"
        pod = by_zone.get(zone)
        if pod is None:
            checks.append(Check(name, False, "no test pod found"))
            continue
        status = pod.get("status", {})
        if pod["spec"].get("hostNetwork"):
            checks.append(Check(name, False, "test pod runs on the host network, proving nothing"))
            continue
        if not status.get("podIP"):
            reason = status.get("phase", "unknown phase")
            checks.append(Check(name, False, f"no IP ({reason}); pods in this zone cannot get an address"))
            continue
        address = ip_address(status["podIP"])
        subnets = expected.zone_subnets(zone)
        ok = (
            isinstance(address, IPv4Address)
            and any(address in subnet for subnet in subnets)
            and any(address in block for block in expected.pod_cidrs)
        )
        subnet = " or ".join(str(subnet) for subnet in subnets) or None
        want = f"in {subnet} (pod CIDR {', '.join(str(block) for block in expected.pod_cidrs)})"
        checks.append(Check(name, ok, f"{address} on {status.get('hostIP', '?')}" + ("" if ok else f", want {want}")))
    return checks


class Kubectl:
    """The real kubectl: every call returns parsed ``-o json`` output or raises VerifyError."""

    def __init__(self, binary: str = "kubectl") -> None:
        self.binary = binary

    def run(self, *args: str, stdin: str | None = None) -> str:
        try:
            done = subprocess.run([self.binary, *args], input=stdin, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise VerifyError(f"{self.binary} not found; install kubectl and point it at the cluster") from None
        if done.returncode != 0:
            raise VerifyError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def get(self, *args: str) -> JsonObject:
        document: JsonObject = json.loads(self.run("get", *args, "-o", "json"))
        return document


def run_checks(kubectl: Kubectl, expected: Expected, namespace: str) -> list[Check]:
    """All checks against the cluster; test pods (and a namespace this run created) are always removed."""
    daemonset = kubectl.get("daemonset", "aws-node", "--namespace", "kube-system")
    checks = check_aws_node(daemonset, expected.pod_networking)
    zones = node_zones(kubectl.get("nodes"))
    checks += check_nodes(zones, expected)
    if expected.pod_networking != "subnet-discovery":  # subnet discovery has no ENIConfigs
        checks += check_eni_configs(kubectl.get("eniconfigs.crd.k8s.amazonaws.com"), zones, expected)
    run_id = uuid.uuid4().hex[:8]
    created_namespace = False
    try:
        try:
            kubectl.get("namespace", namespace)
        except VerifyError:
            kubectl.run("create", "namespace", namespace)
            created_namespace = True
        manifests = {"apiVersion": "v1", "kind": "List", "items": [probe_pod(z, run_id, namespace) for z in zones]}
        kubectl.run("apply", "-f", "-", stdin=json.dumps(manifests))
        selector = f"{RUN_LABEL}={run_id}"
        try:
            kubectl.run(
                "wait",
                "pod",
                "-n",
                namespace,
                "-l",
                selector,
                "--for=condition=Ready",
                f"--timeout={POD_READY_TIMEOUT}",
            )
        except VerifyError as error:
            print(f"note: not every test pod became Ready: {error}", file=sys.stderr)
        checks += check_pod_ips(kubectl.get("pods", "-n", namespace, "-l", selector), zones, expected)
    finally:
        _clean_up(kubectl, namespace, run_id, created_namespace)
    return checks


def _clean_up(kubectl: Kubectl, namespace: str, run_id: str, created_namespace: bool) -> None:
    try:
        if created_namespace:
            kubectl.run("delete", "namespace", namespace, "--wait=false", "--ignore-not-found")
        else:
            kubectl.run(
                "delete", "pods", "-n", namespace, "-l", f"{RUN_LABEL}={run_id}", "--wait=false", "--ignore-not-found"
            )
    except VerifyError as error:
        print(f"warning: clean-up failed, delete the test pods by hand: {error}", file=sys.stderr)


def _stack_outputs(stack: str, region: str | None) -> list[JsonObject]:
    command = ["aws", "cloudformation", "describe-stacks", "--stack-name", stack, "--query", "Stacks[0].Outputs"]
    command += ["--output", "json", *(["--region", region] if region else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise VerifyError(f"cannot read the outputs of stack {stack}: {done.stderr.strip()}")
    outputs: list[JsonObject] = json.loads(done.stdout) or []
    return outputs


def _expected(args: argparse.Namespace) -> Expected:
    if args.expected:
        return parse_expected(json.loads(args.expected))
    if args.from_stack:
        return expected_from_outputs(_stack_outputs(args.from_stack, args.region))
    if os.environ.get("PODNET_EXPECTED"):
        return parse_expected(json.loads(os.environ["PODNET_EXPECTED"]))
    raise VerifyError("say what to expect: --from-stack STACK, --expected JSON or PODNET_EXPECTED")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--from-stack", help="cluster stack whose CustomNetworking output holds the pod subnets")
    parser.add_argument("--region", help="region of that stack (default: the AWS CLI's)")
    parser.add_argument("--expected", help="the CustomNetworking output itself, as JSON")
    parser.add_argument("--namespace", default=DEFAULT_NAMESPACE, help="where the test pods run")
    parser.add_argument("--kubectl", default="kubectl", help="kubectl binary")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        checks = run_checks(Kubectl(args.kubectl), _expected(args), args.namespace)
    except (VerifyError, json.JSONDecodeError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 2
    for check in checks:
        print(check.line())
    failed = [check for check in checks if not check.ok]
    verdict = f"{len(failed)} of {len(checks)} checks failed" if failed else f"all {len(checks)} checks passed"
    print(f"custom networking: {verdict} ({time.monotonic() - started:.0f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
