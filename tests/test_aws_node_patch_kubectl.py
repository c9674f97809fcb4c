"""The synthesized aws-node patch, run through the real kubectl onto the real upstream aws-node DaemonSet.

At deploy time the kubectl provider sends ApplyPatchJson (create) and RestorePatchJson (delete) through this same
kubectl as strategic merge patches. Running them offline shows the exact DaemonSet the cluster would get: custom
networking on, nothing else touched, and after a delete the DaemonSet EKS installed, unchanged.
"""

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from podnet.config.aws_node_env import UPSTREAM_ENV
from tests.support.aws_node import upstream_env
from tests.support.cfn_tokens import render_json
from tests.support.k8s_schema import kubernetes_errors
from tests.support.kubectl import aws_node_daemonset, env_of, strategic_patch
from tests.support.synth import Synthesized

#: What every podnet cluster named podnet sets, whatever the mode: the label ENIConfigs are picked by, subnet
#: discovery as upstream has it (on) and scoped to this cluster, no WARM_IP_TARGET or MINIMUM_IP_TARGET (0).
EVERY_MODE = {
    "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
    "ENABLE_SUBNET_DISCOVERY": "true",
    "CLUSTER_NAME": "podnet",
    "WARM_IP_TARGET": "0",
    "MINIMUM_IP_TARGET": "0",
}
CUSTOM_NETWORKING = EVERY_MODE | {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}
SUBNET_DISCOVERY = EVERY_MODE | {
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
    "WARM_IP_TARGET": "2",
    "MINIMUM_IP_TARGET": "12",
}
PREFIX_DELEGATION = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
NO_PREFIX_DELEGATION = {"ENABLE_PREFIX_DELEGATION": "false"}


@dataclass(frozen=True)
class PatchRun:
    """The upstream DaemonSet, after the apply patch, and after apply then restore."""

    expected_env: dict[str, str]
    kubernetes_version: str
    original: dict[str, Any]
    applied: dict[str, Any]
    restored: dict[str, Any]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(("default_app", CUSTOM_NETWORKING | NO_PREFIX_DELEGATION), id="default"),
        pytest.param(("prefix_delegation_app", CUSTOM_NETWORKING | PREFIX_DELEGATION), id="prefix_delegation"),
        pytest.param(("subnet_discovery_app", SUBNET_DISCOVERY | NO_PREFIX_DELEGATION), id="subnet_discovery"),
    ],
)
def run(request: pytest.FixtureRequest) -> PatchRun:
    """kubectl runs twice per app, once for each patch, shared by the tests below."""
    app_fixture, expected_env = request.param
    app: Synthesized = request.getfixturevalue(app_fixture)
    patch = app.aws_node_patch()
    (cluster,) = app.resources("cluster", "AWS::EKS::Cluster").values()
    original = aws_node_daemonset()
    applied = strategic_patch(original, render_json(patch["ApplyPatchJson"]))
    return PatchRun(
        expected_env=expected_env,
        kubernetes_version=cluster["Properties"]["Version"],
        original=original,
        applied=applied,
        restored=strategic_patch(applied, render_json(patch["RestorePatchJson"])),
    )


def _aws_node(daemonset: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = daemonset["spec"]["template"]["spec"]["containers"]
    (container,) = [c for c in containers if c["name"] == "aws-node"]
    return container


def test_apply_sets_custom_networking_and_keeps_every_other_variable(run: PatchRun) -> None:
    assert env_of(run.applied) == env_of(run.original) | run.expected_env
    names = [entry["name"] for entry in _aws_node(run.applied)["env"]]
    assert len(names) == len(set(names)), "a variable set twice: the merge key did not match"
    kept = [e for e in _aws_node(run.applied)["env"] if e["name"] not in run.expected_env]
    assert kept == [e for e in _aws_node(run.original)["env"] if e["name"] not in run.expected_env]


def test_apply_changes_nothing_but_the_aws_node_env(run: PatchRun) -> None:
    """Other containers, initContainers, the aws-node image, probes and metadata are exactly upstream's."""
    env_reverted = copy.deepcopy(run.applied)
    _aws_node(env_reverted)["env"] = _aws_node(run.original)["env"]
    assert env_reverted == run.original


def test_patched_daemonset_matches_the_kubernetes_schema(run: PatchRun) -> None:
    assert kubernetes_errors(run.applied, run.kubernetes_version) == []


def test_restore_returns_the_upstream_daemonset_exactly(run: PatchRun) -> None:
    assert _aws_node(run.restored)["env"] == _aws_node(run.original)["env"]
    assert run.restored == run.original


def test_restore_patch_source_matches_the_upstream_manifest() -> None:
    """podnet builds the restore patch from its own copy of the upstream env; a CNI upgrade must update both."""
    assert upstream_env() == UPSTREAM_ENV


@pytest.mark.parametrize(
    "sequence",
    [
        pytest.param(("prefix_delegation_app", "default_app", "prefix_delegation_app"), id="on-off-on"),
        pytest.param(("default_app", "prefix_delegation_app", "default_app"), id="off-on-off"),
        pytest.param(("default_app", "subnet_discovery_app", "prefix_delegation_app"), id="modes-and-warm-pool"),
    ],
)
def test_switching_prefix_delegation_reaches_aws_node(
    sequence: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    """Deploy after deploy, as the KubernetesPatch handler does it: on update it applies only the new apply patch
    onto what the previous one left (the restore patch runs on delete alone). Each apply patch must therefore set
    every variable podnet manages, and the last restore patch must still give back the upstream DaemonSet."""
    original = aws_node_daemonset()
    daemonset = original
    for app_fixture in sequence:
        app: Synthesized = request.getfixturevalue(app_fixture)
        daemonset = strategic_patch(daemonset, render_json(app.aws_node_patch()["ApplyPatchJson"]))
        mode = SUBNET_DISCOVERY if app.config.pod_networking == "subnet-discovery" else CUSTOM_NETWORKING
        expected = mode | (PREFIX_DELEGATION if app.config.prefix_delegation else NO_PREFIX_DELEGATION)
        assert env_of(daemonset) == env_of(original) | expected, f"after deploying {app_fixture}"
    restored = strategic_patch(daemonset, render_json(app.aws_node_patch()["RestorePatchJson"]))
    assert restored == original
