"""The VPC CNI as the EKS managed add-on vpc-cni: pinned per Kubernetes version, created before the aws-node patch and
the nodes, and carrying the patch's env so that podnet's add-on updates (OVERWRITE) keep every setting."""

import json
from typing import Any

import pytest

from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.model import SUPPORTED_KUBERNETES_VERSIONS
from podnet.config.pod_network_rules import ADDON_VERSION, OLDEST_VPC_CNI
from podnet.config.validation import validate
from podnet.config.vpc_cni_versions import VPC_CNI_VERSIONS
from tests.support.aws_node import env_patch
from tests.support.cfn_graph import depends_on
from tests.support.cfn_tokens import render_json
from tests.support.kubectl import aws_node_daemonset, env_of, strategic_patch
from tests.support.synth import Synthesized


def _vpc_cni(app: Synthesized) -> tuple[str, dict[str, Any]]:
    ((lid, addon),) = [
        (lid, r["Properties"])
        for lid, r in app.resources("cluster", "AWS::EKS::Addon").items()
        if r["Properties"]["AddonName"] == "vpc-cni"
    ]
    return lid, addon


def _patch_env(app: Synthesized) -> dict[str, str]:
    (container,) = render_json(app.aws_node_patch()["ApplyPatchJson"])["spec"]["template"]["spec"]["containers"]
    return {entry["name"]: entry["value"] for entry in container["env"]}


def test_every_supported_kubernetes_version_has_a_pin_of_at_least_v1_22_4() -> None:
    assert set(VPC_CNI_VERSIONS) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for version in VPC_CNI_VERSIONS.values():
        match = ADDON_VERSION.fullmatch(version)
        assert match is not None and tuple(int(part) for part in match.groups()) >= OLDEST_VPC_CNI


@pytest.mark.parametrize("app_name", ["default_app", "prefix_delegation_app", "origin_app"])
def test_the_add_on_is_pinned_and_carries_the_patch_env(app_name: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_name)
    _, addon = _vpc_cni(app)
    (cluster_id,) = app.resources("cluster", "AWS::EKS::Cluster")
    assert addon["ClusterName"] == {"Ref": cluster_id}
    assert addon["AddonVersion"] == VPC_CNI_VERSIONS[app.config.kubernetes_version] == "v1.22.4-eksbuild.3"
    assert addon["ResolveConflicts"] == "OVERWRITE"
    assert json.loads(addon["ConfigurationValues"]) == {"env": _patch_env(app)}


def test_the_add_on_takes_aws_node_over_before_the_patch_runs(default_app: Synthesized) -> None:
    """Created after the patch, its OVERWRITE would reset aws-node under it; so the patch DependsOn the add-on."""
    addon_id, _ = _vpc_cni(default_app)
    (patch,) = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesPatch").values()
    assert addon_id in depends_on(patch)


@pytest.mark.parametrize("app_name", ["default_app", "prefix_delegation_app"])
def test_an_overwrite_update_of_the_add_on_keeps_every_setting_of_the_patch(
    app_name: str, request: pytest.FixtureRequest
) -> None:
    """An add-on update with OVERWRITE gives aws-node the add-on's defaults plus ``ConfigurationValues``: modelled
    here as the upstream DaemonSet with the configured env set by the real kubectl. The patch applied on top of that
    (as a later deploy would) changes no value (only the order of env entries, which means nothing): no setting of
    the patch is lost to an update, in either order."""
    app: Synthesized = request.getfixturevalue(app_name)
    _, addon = _vpc_cni(app)
    upstream = aws_node_daemonset()
    updated = strategic_patch(upstream, env_patch(json.loads(addon["ConfigurationValues"])["env"]))
    patched = strategic_patch(updated, render_json(app.aws_node_patch()["ApplyPatchJson"]))
    assert _sorted_env(patched) == _sorted_env(updated)
    assert env_of(updated) == env_of(upstream) | _patch_env(app)
    assert env_of(updated)["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true"


def _sorted_env(daemonset: dict[str, Any]) -> dict[str, Any]:
    for container in daemonset["spec"]["template"]["spec"]["containers"]:
        container["env"] = sorted(container.get("env", []), key=lambda entry: entry["name"])
    return daemonset


def test_cni_version_overrides_the_pin() -> None:
    config = parse_config({"cni": {"version": "v1.23.1-eksbuild.1"}})
    validate(config)
    assert config.vpc_cni_version == "v1.23.1-eksbuild.1"
    assert parse_config({"kubernetesVersion": "1.35"}).vpc_cni_version == VPC_CNI_VERSIONS["1.35"]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.22.4", "podnet: cni.version '1.22.4' is not an EKS add-on version; use the form v1.22.4-eksbuild.3"),
        ("v1.22.4", "is not an EKS add-on version"),
        ("v1.22.2-eksbuild.1", "podnet: cni.version v1.22.2-eksbuild.1 is older than v1.22.4: v1.22.2 and v1.22.3"),
        ("v1.19.0-eksbuild.1", "is older than v1.22.4"),
    ],
)
def test_bad_cni_versions_fail_in_one_line(version: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(parse_config({"cni": {"version": version}}))
    assert message in str(caught.value) and "\n" not in str(caught.value)
