"""The offline deploy-proof tools in ``tests.support`` work on the upstream fixture data.

Each tool must both accept a correct input and reject a broken one; otherwise a later test built on it proves nothing.
"""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from podnet.config.model import SUPPORTED_KUBERNETES_VERSIONS
from tests.support import FIXTURES, REPO_ROOT
from tests.support.aws_node import CUSTOM_NETWORKING_ENV, env_patch, restore_patch, upstream_env
from tests.support.cfn_lint import CFNLINTRC, errors, lint_template
from tests.support.k8s_schema import available_versions, kubernetes_errors, schema_version
from tests.support.kubectl import (
    aws_node_daemonset,
    client_version,
    env_of,
    helm_template,
    helm_version,
    kubectl_path,
    strategic_patch,
)
from tests.support.schemas import (
    eniconfig_validator,
    nodeconfig_validator,
    strict_schema,
    validation_errors,
)

# --- fixtures are the upstream bytes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["eniconfig-crd.yaml", "nodeconfig-crd.yaml", "aws-k8s-cni.yaml", "awsutils-v1.22.4.go", "iam-policy-v1.22.4.md"],
)
def test_fixture_matches_the_git_blob_recorded_in_sources(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    row = next(line for line in (FIXTURES / "SOURCES.md").read_text().splitlines() if line.startswith(f"| `{name}`"))
    assert blob in row


# --- CRD schemas ----------------------------------------------------------------------------------------------------

ENICONFIG: dict[str, Any] = {
    "apiVersion": "crd.k8s.amazonaws.com/v1alpha1",
    "kind": "ENIConfig",
    "metadata": {"name": "us-east-1a"},
    "spec": {"subnet": "subnet-123", "securityGroups": ["sg-1"]},
}


def _eniconfig(**spec: Any) -> dict[str, Any]:
    return {**ENICONFIG, "spec": spec}


def test_correct_eniconfig_passes() -> None:
    assert validation_errors(eniconfig_validator(), ENICONFIG) == []


def test_eniconfig_without_security_groups_passes() -> None:
    assert validation_errors(eniconfig_validator(), _eniconfig(subnet="subnet-123")) == []


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (_eniconfig(subnet="subnet-123", securityGroup=["sg-1"]), "spec: Additional properties"),
        (_eniconfig(subnet="subnet-123", securityGroups={"a": "sg-1"}), "spec.securityGroups: {'a': 'sg-1'} is not"),
        (_eniconfig(securityGroups=["sg-1"]), "spec: 'subnet' is a required property"),
        ({**ENICONFIG, "kind": "EniConfig"}, "kind: 'ENIConfig' was expected"),
        ({**ENICONFIG, "metadata": {"name": "us-east-1A"}}, "metadata.name: 'us-east-1A' does not match"),
        ({k: v for k, v in ENICONFIG.items() if k != "spec"} | {"spce": ENICONFIG["spec"]}, "<root>: Additional"),
    ],
    ids=["typo-securityGroup", "securityGroups-map", "missing-subnet", "wrong-kind", "bad-name", "top-level-typo"],
)
def test_broken_eniconfig_fails(obj: dict[str, Any], expected: str) -> None:
    found = validation_errors(eniconfig_validator(), obj)
    assert len(found) == 1
    assert found[0].startswith(expected)


NODECONFIG: dict[str, Any] = {
    "apiVersion": "node.eks.aws/v1alpha1",
    "kind": "NodeConfig",
    "spec": {
        "cluster": {
            "name": "podnet",
            "apiServerEndpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
            "certificateAuthority": "LS0tLS1CRUdJTg==",
            "cidr": "172.20.0.0/16",
        },
        "kubelet": {
            "maxPodsExpression": "((default_enis - 1) * (ips_per_eni - 1)) + 2",
            "config": {"anyKubeletField": {"kept": True}},
        },
    },
}


def test_minimal_self_managed_nodeconfig_passes() -> None:
    assert validation_errors(nodeconfig_validator(), NODECONFIG) == []


def test_nodeconfig_typo_fails() -> None:
    broken = copy.deepcopy(NODECONFIG)
    broken["spec"]["kubelet"]["maxPodExpression"] = broken["spec"]["kubelet"].pop("maxPodsExpression")
    assert validation_errors(nodeconfig_validator(), broken) == [
        "spec.kubelet: Additional properties are not allowed ('maxPodExpression' was unexpected)"
    ]


def test_strict_schema_keeps_preserve_unknown_objects_open_but_closes_their_children() -> None:
    schema = {
        "type": "object",
        "properties": {
            "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"a": {}}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "string"}}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"c": {}}}},
        },
    }
    closed = strict_schema(schema)
    assert closed["additionalProperties"] is False
    assert "additionalProperties" not in closed["properties"]["open"]
    assert closed["properties"]["list"]["items"]["additionalProperties"] is False
    assert closed["properties"]["map"]["additionalProperties"]["additionalProperties"] is False
    assert "additionalProperties" not in schema, "the input must not be modified"


# --- kubectl strategic merge patches --------------------------------------------------------------------------------


_CUSTOM_NETWORKING = {
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
    "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
}


def _dig(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        obj = obj[key]
    return obj


def _containers(daemonset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in daemonset["spec"]["template"]["spec"]["containers"]}


def test_kubectl_is_the_layer_binary_and_runs_offline() -> None:
    assert kubectl_path().stat().st_mode & 0o111
    assert re.fullmatch(r"v1\.36\.\d+", client_version())


def test_helm_is_the_layer_binary_and_renders_offline(tmp_path: Path) -> None:
    assert re.fullmatch(r"v4\.\d+\.\d+", helm_version())
    chart = REPO_ROOT / "podnet" / "data" / "helm" / "aws-node-termination-handler-0.27.6.tgz"
    # The chart's defaults are IMDS mode: a DaemonSet, no Deployment; the values decide what is rendered.
    imds = helm_template(chart, release="nth", namespace="kube-system", values={}, kubernetes_version="1.35")
    queue = helm_template(
        chart,
        release="nth",
        namespace="kube-system",
        values={"enableSqsTerminationDraining": True},
        kubernetes_version="1.35",
    )
    assert "DaemonSet" in {o["kind"] for o in imds} and "Deployment" not in {o["kind"] for o in imds}
    assert "Deployment" in {o["kind"] for o in queue} and "DaemonSet" not in {o["kind"] for o in queue}
    broken = tmp_path / "broken.tgz"
    broken.write_bytes(chart.read_bytes()[:1000])
    with pytest.raises(RuntimeError, match="helm template"):
        helm_template(broken, release="nth", namespace="kube-system", values={}, kubernetes_version="1.35")


def test_env_patch_changes_only_the_patched_variables() -> None:
    original = aws_node_daemonset()
    patched = strategic_patch(original, env_patch(_CUSTOM_NETWORKING))

    assert env_of(patched) == env_of(original) | _CUSTOM_NETWORKING
    before, after = _containers(original), _containers(patched)
    assert after["aws-eks-nodeagent"] == before["aws-eks-nodeagent"]
    assert {k: v for k, v in after["aws-node"].items() if k != "env"} == {
        k: v for k, v in before["aws-node"].items() if k != "env"
    }
    pod_spec = "spec", "template", "spec"
    assert _dig(patched, *pod_spec)["initContainers"] == _dig(original, *pod_spec)["initContainers"]
    unchanged = [e for e in after["aws-node"]["env"] if e["name"] not in _CUSTOM_NETWORKING]
    assert unchanged == [e for e in before["aws-node"]["env"] if e["name"] not in _CUSTOM_NETWORKING]


def test_restore_patch_returns_the_upstream_env_exactly() -> None:
    original = aws_node_daemonset()
    patched = strategic_patch(original, env_patch(_CUSTOM_NETWORKING))
    restored = strategic_patch(patched, restore_patch(_CUSTOM_NETWORKING))
    assert _containers(restored)["aws-node"]["env"] == _containers(original)["aws-node"]["env"]
    assert restored["spec"] == original["spec"]


def test_restore_patch_resets_upstream_variables_and_deletes_added_ones() -> None:
    patch = restore_patch(CUSTOM_NETWORKING_ENV)
    assert patch["spec"]["template"]["spec"]["containers"] == [
        {
            "name": "aws-node",
            "env": [
                {"name": "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "value": "false"},
                {"name": "ENI_CONFIG_LABEL_DEF", "$patch": "delete"},
                {"name": "ENABLE_PREFIX_DELEGATION", "value": "false"},
                {"name": "ENABLE_SUBNET_DISCOVERY", "value": "true"},
                {"name": "WARM_PREFIX_TARGET", "value": "1"},
                {"name": "WARM_IP_TARGET", "$patch": "delete"},
                {"name": "MINIMUM_IP_TARGET", "$patch": "delete"},
                {"name": "CLUSTER_NAME", "$patch": "delete"},
            ],
        }
    ]


def test_upstream_env_is_read_from_the_fixture() -> None:
    assert upstream_env() == {
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
        "ENI_CONFIG_LABEL_DEF": None,
        "ENABLE_PREFIX_DELEGATION": "false",
        "ENABLE_SUBNET_DISCOVERY": "true",
        "WARM_PREFIX_TARGET": "1",
        "WARM_IP_TARGET": None,
        "MINIMUM_IP_TARGET": None,
        "CLUSTER_NAME": None,
    }
    assert env_of(aws_node_daemonset(), "aws-eks-nodeagent") == {}, "valueFrom entries are not literal values"


def test_strategic_patch_reports_kubectl_errors() -> None:
    without_merge_key: dict[str, Any] = {"spec": {"template": {"spec": {"containers": [{"env": []}]}}}}
    with pytest.raises(RuntimeError, match="does not contain declared merge key: name"):
        strategic_patch(aws_node_daemonset(), without_merge_key)


def test_patched_daemonset_still_needs_the_kubernetes_schema() -> None:
    """kubectl merges without type checks: a patch can turn ``containers`` into a string and still "succeed"."""
    assert kubernetes_errors(strategic_patch(aws_node_daemonset(), env_patch(_CUSTOM_NETWORKING)), "1.35") == []
    broken = strategic_patch(aws_node_daemonset(), {"spec": {"template": {"spec": {"containers": "oops"}}}})
    assert kubernetes_errors(broken, "1.35") == ["spec.template.spec.containers: 'oops' is not of type 'array'"]


# --- core Kubernetes schema -----------------------------------------------------------------------------------------

AWS_AUTH: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "aws-auth", "namespace": "kube-system"},
    "data": {
        "mapRoles": yaml.safe_dump(
            [
                {
                    "rolearn": "arn:aws:iam::111122223333:role/podnet-node",
                    "username": "system:node:{{EC2PrivateDNSName}}",
                    "groups": ["system:bootstrappers", "system:nodes"],
                }
            ]
        )
    },
}


@pytest.mark.parametrize("version", SUPPORTED_KUBERNETES_VERSIONS)
def test_target_kubernetes_versions_have_their_own_schema(version: str) -> None:
    assert version in available_versions()
    assert schema_version(version) == version


def test_good_aws_auth_configmap_passes() -> None:
    assert kubernetes_errors(AWS_AUTH, "1.35") == []
    kubernetes_validate.validate(AWS_AUTH, "1.35", strict=True)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"data": {"mapRoles": [{"rolearn": "arn"}]}}, "data.mapRoles: [{'rolearn': 'arn'}] is not of type"),
        ({"datta": AWS_AUTH["data"]}, "<root>: Additional properties are not allowed ('datta' was unexpected)"),
    ],
    ids=["non-string-data", "typo"],
)
def test_bad_aws_auth_configmap_fails(change: dict[str, Any], expected: str) -> None:
    bad = {k: v for k, v in AWS_AUTH.items() if k != "data"} | change
    found = kubernetes_errors(bad, "1.35")
    assert len(found) == 1
    assert found[0].startswith(expected)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.35", strict=True)


# --- cfn-lint -------------------------------------------------------------------------------------------------------

SUBNET_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
    }
}


def test_committed_cfnlintrc_targets_us_east_1() -> None:
    # Which rules it ignores, and that each ignore holds only where its reason does: tests/test_cfn_lint.py.
    assert yaml.safe_load(CFNLINTRC.read_text())["regions"] == ["us-east-1"]


def test_valid_template_has_no_matches() -> None:
    assert lint_template(SUBNET_TEMPLATE) == []


def test_invalid_property_is_an_error_with_its_path() -> None:
    broken = copy.deepcopy(SUBNET_TEMPLATE)
    broken["Resources"]["Subnet"]["Properties"]["CidrBlok"] = "10.0.1.0/24"
    found = errors(lint_template(broken))
    assert [(m.rule_id, m.path) for m in found] == [("E3002", ("Resources", "Subnet", "Properties", "CidrBlok"))]


def test_template_file_and_config_file_are_honoured(tmp_path: Path) -> None:
    broken = copy.deepcopy(SUBNET_TEMPLATE)
    broken["Resources"]["Subnet"]["Properties"]["CidrBlok"] = "10.0.1.0/24"
    template = tmp_path / "stack.template.yaml"
    template.write_text(yaml.safe_dump(broken))
    assert [m.rule_id for m in lint_template(template)] == ["E3002"]
    config = tmp_path / "cfnlintrc.yaml"
    config.write_text(yaml.safe_dump({"regions": ["us-east-1"], "ignore_checks": ["E3002"]}))
    assert lint_template(template, config=config) == []
