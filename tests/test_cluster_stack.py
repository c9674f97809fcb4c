"""ClusterStack: the control plane settings and the Kubernetes objects that make custom networking work."""

import json
from typing import Any

import yaml
from aws_cdk import aws_eks_v2 as eks

from podnet.config.model import DEFAULT_KUBERNETES_VERSION, KUBECTL_LAYER_VERSION, SUPPORTED_KUBERNETES_VERSIONS
from scripts import verify_custom_networking as verify
from tests.support.cfn_tokens import render, render_json
from tests.support.kubectl import client_version
from tests.support.synth import Synthesized


def _cluster(app: Synthesized) -> dict[str, Any]:
    (cluster,) = app.resources("cluster", "AWS::EKS::Cluster").values()
    properties: dict[str, Any] = cluster["Properties"]
    return properties


def _pod_subnet_zones(app: Synthesized) -> dict[str, str]:
    """Logical id -> AZ of the cluster stack's pod subnets."""
    return {
        lid: subnet["Properties"]["AvailabilityZone"]
        for lid, subnet in app.resources("cluster", "AWS::EC2::Subnet").items()
    }


def test_authentication_mode_honours_aws_auth(default_app: Synthesized) -> None:
    assert _cluster(default_app)["AccessConfig"] == {
        "AuthenticationMode": "API_AND_CONFIG_MAP",
        "BootstrapClusterCreatorAdminPermissions": False,
    }


def test_control_plane_defaults_are_secure(default_app: Synthesized) -> None:
    cluster = _cluster(default_app)
    assert cluster["Version"] == "1.36"
    assert cluster["ResourcesVpcConfig"]["EndpointPrivateAccess"] is True
    assert cluster["ResourcesVpcConfig"]["EndpointPublicAccess"] is False
    assert {t["Type"] for t in cluster["Logging"]["ClusterLogging"]["EnabledTypes"]} == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    (encryption,) = cluster["EncryptionConfig"]
    assert encryption["Resources"] == ["secrets"]
    (key_id,) = [lid for lid in default_app.resources("cluster", "AWS::KMS::Key") if lid.startswith("SecretsKey")]
    assert encryption["Provider"]["KeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert cluster["KubernetesNetworkConfig"]["ServiceIpv4Cidr"] == "172.20.0.0/16"


def _kubectl_minor() -> int:
    """The minor version of the real kubectl inside the installed kubectl layer wheel (e.g. 36 for v1.36.3)."""
    major, minor = client_version().removeprefix("v").split(".")[:2]
    assert major == "1"
    return int(minor)


def test_supported_versions_are_those_the_layer_kubectl_and_aws_eks_v2_can_manage() -> None:
    """kubectl talks to API servers one minor version either side of its own; aws_eks_v2 must know the version too."""
    minor = _kubectl_minor()
    assert f"1.{minor}" == KUBECTL_LAYER_VERSION
    manageable = [f"1.{m}" for m in (minor - 1, minor, minor + 1) if hasattr(eks.KubernetesVersion, f"V1_{m}")]
    assert list(SUPPORTED_KUBERNETES_VERSIONS) == manageable


def test_new_clusters_start_on_the_newest_version_aws_eks_v2_offers(default_app: Synthesized) -> None:
    newest = max(int(name.removeprefix("V1_")) for name in dir(eks.KubernetesVersion) if name.startswith("V1_"))
    assert DEFAULT_KUBERNETES_VERSION == f"1.{newest}" == _cluster(default_app)["Version"]
    (layer,) = [
        r
        for lid, r in default_app.resources("cluster", "AWS::Lambda::LayerVersion").items()
        if lid.startswith("Kubectl")
    ]
    assert layer["Properties"]["Description"].startswith(f"/opt/kubectl/kubectl {client_version().removeprefix('v')};")


def test_eni_configs_name_the_node_zones_and_point_to_their_pod_subnets(default_app: Synthesized) -> None:
    zones = _pod_subnet_zones(default_app)
    eni_configs = default_app.kubernetes_manifest("EniConfigs")
    assert [e["metadata"]["name"] for e in eni_configs] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for eni_config in eni_configs:
        assert eni_config["apiVersion"] == "crd.k8s.amazonaws.com/v1alpha1"
        assert eni_config["kind"] == "ENIConfig"
        subnet = eni_config["spec"]["subnet"]
        assert subnet.endswith(".SubnetId>") and zones[subnet[1 : -len(".SubnetId>")]] == eni_config["metadata"]["name"]
        (cluster_id,) = default_app.resources("cluster", "AWS::EKS::Cluster")
        assert eni_config["spec"]["securityGroups"] == [f"<{cluster_id}.ClusterSecurityGroupId>"]


def test_origin_has_one_eni_config(origin_app: Synthesized) -> None:
    assert [e["metadata"]["name"] for e in origin_app.kubernetes_manifest("EniConfigs")] == ["us-east-1a"]


def test_aws_auth_maps_the_node_role_arn(default_app: Synthesized) -> None:
    (config_map,) = default_app.kubernetes_manifest("AwsAuth")
    assert (config_map["kind"], config_map["metadata"]["name"], config_map["metadata"]["namespace"]) == (
        "ConfigMap",
        "aws-auth",
        "kube-system",
    )
    (role_id,) = [lid for lid in default_app.resources("cluster", "AWS::IAM::Role") if lid.startswith("SpotNodesRole")]
    assert yaml.safe_load(config_map["data"]["mapRoles"]) == [
        {
            "rolearn": f"<{role_id}.Arn>",
            "username": "system:node:{{EC2PrivateDNSName}}",
            "groups": ["system:bootstrappers", "system:nodes"],
        }
    ]


def _env(patch_json: str) -> list[dict[str, str]]:
    (container,) = render_json(patch_json)["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "aws-node"
    env: list[dict[str, str]] = container["env"]
    return env


def test_aws_node_patch_turns_custom_networking_on(default_app: Synthesized) -> None:
    patch = default_app.aws_node_patch()
    assert (patch["ResourceName"], patch["ResourceNamespace"], patch["PatchType"]) == (
        "daemonset/aws-node",
        "kube-system",
        "strategic",
    )
    assert _env(patch["ApplyPatchJson"]) == [
        {"name": "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "value": "true"},
        {"name": "ENI_CONFIG_LABEL_DEF", "value": "topology.kubernetes.io/zone"},
        {"name": "ENABLE_PREFIX_DELEGATION", "value": "false"},
        {"name": "ENABLE_SUBNET_DISCOVERY", "value": "true"},
        {"name": "WARM_PREFIX_TARGET", "value": "1"},
        {"name": "WARM_IP_TARGET", "value": "0"},
        {"name": "MINIMUM_IP_TARGET", "value": "0"},
        {"name": "CLUSTER_NAME", "value": "podnet"},
    ]
    assert _env(patch["RestorePatchJson"]) == [
        {"name": "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "value": "false"},
        {"name": "ENI_CONFIG_LABEL_DEF", "$patch": "delete"},
        {"name": "ENABLE_PREFIX_DELEGATION", "value": "false"},
        {"name": "ENABLE_SUBNET_DISCOVERY", "value": "true"},
        {"name": "WARM_PREFIX_TARGET", "value": "1"},
        {"name": "WARM_IP_TARGET", "$patch": "delete"},
        {"name": "MINIMUM_IP_TARGET", "$patch": "delete"},
        {"name": "CLUSTER_NAME", "$patch": "delete"},
    ]


def test_prefix_delegation_patch(prefix_delegation_app: Synthesized) -> None:
    patch = prefix_delegation_app.aws_node_patch()
    applied = {e["name"]: e["value"] for e in _env(patch["ApplyPatchJson"])}
    assert {name: applied[name] for name in ("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "ENABLE_PREFIX_DELEGATION")} == {
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "ENABLE_PREFIX_DELEGATION": "true",
    }
    assert applied["WARM_PREFIX_TARGET"] == "1"
    restore = {e["name"]: e.get("value", e.get("$patch")) for e in _env(patch["RestorePatchJson"])}
    assert restore["ENABLE_PREFIX_DELEGATION"] == "false" and restore["ENI_CONFIG_LABEL_DEF"] == "delete"


def test_outputs(default_app: Synthesized) -> None:
    outputs = {name: render(o["Value"]) for name, o in default_app.cluster["Outputs"].items()}
    assert outputs["UpdateKubeconfigCommand"] == "aws eks update-kubeconfig --region us-east-1 --name podnet"
    assert sum(name.startswith("PodSubnetuseast1") for name in outputs) == 3


def test_the_custom_networking_output_is_what_its_readers_read(default_app: Synthesized) -> None:
    """One output, three readers: scripts/verify_custom_networking.py (here), ``podnet plan --deployed``
    (tests/test_day_two_changes.py) and ``podnet usage`` (tests/test_usage.py serves this shape from moto)."""
    document = json.loads(render(default_app.cluster["Outputs"]["CustomNetworking"]["Value"]))
    config = default_app.config
    assert sorted(document) == [
        "availabilityZones",
        "discoveredPodSubnets",
        "podCidr",
        "podCidrs",
        "podNetworking",
        "podSubnets",
    ]
    assert document["podNetworking"] == "custom-networking"
    assert all(sorted(entry) == ["cidr", "subnetId"] for entry in document["podSubnets"].values())
    expected = verify.parse_expected(document)
    assert expected.pod_cidrs == config.pod_cidrs
    assert {zone: subnet.cidr for zone, subnet in expected.subnets.items()} == config.pod_subnet_cidrs


def test_eni_configs_and_aws_auth_are_applied_with_overwrite(default_app: Synthesized) -> None:
    """Without Overwrite the handler runs ``kubectl create`` on Create, which fails with AlreadyExists when the
    objects exist (a logical id change creates the resource anew); with it, ``kubectl apply``."""
    manifests = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
    for construct in ("EniConfigs", "AwsAuth"):
        (resource,) = [r for lid, r in manifests.items() if lid.startswith(f"Cluster{construct}")]
        assert resource["Properties"].get("Overwrite") is True, construct
