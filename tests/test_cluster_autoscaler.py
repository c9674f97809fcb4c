"""Cluster Autoscaler: discovery and scale-from-zero tags, permissions through Pod Identity, the chart as rendered."""

import hashlib
import re
import tarfile
from functools import cache
from typing import Any, cast

import pytest
from aws_cdk import FileSystem

from podnet.config.model import SUPPORTED_KUBERNETES_VERSIONS
from podnet.constructs.cluster_autoscaler import CHART_FILE, NAME, RELEASES
from podnet.constructs.packaged_helm_chart import CHARTS, chart_directory
from podnet.ipplan.eni_limits import lookup
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render_json
from tests.support.k8s_schema import kubernetes_errors
from tests.support.kubectl import helm_template
from tests.support.node_groups import SYSTEM, node_groups, tags
from tests.support.synth import Synthesized
from tests.test_spot_node_group import evaluate_max_pods

CHART_PACKAGE = REPO_ROOT / "podnet" / "data" / "helm" / CHART_FILE
POD_IDENTITY_TRUST = {"Service": "pods.eks.amazonaws.com"}


def _release(app: Synthesized) -> tuple[str, dict[str, Any]]:
    """The Cluster Autoscaler's HelmChart resource (NTH has the other one)."""
    ((lid, resource),) = [
        (lid, r)
        for lid, r in app.resources("cluster", "Custom::AWSCDK-EKS-HelmChart").items()
        if r["Properties"]["Release"] == NAME
    ]
    return lid, resource


def _association(app: Synthesized) -> tuple[str, dict[str, Any]]:
    """The Cluster Autoscaler's Pod Identity association (aws-node and NTH have theirs)."""
    ((lid, resource),) = [
        (lid, r)
        for lid, r in app.resources("cluster", "AWS::EKS::PodIdentityAssociation").items()
        if r["Properties"]["ServiceAccount"] == NAME
    ]
    return lid, resource


def _rendered(app: Synthesized) -> list[dict[str, Any]]:
    """The objects ``helm upgrade`` would apply: the packaged chart rendered with the synthesized values."""
    _, release = _release(app)
    properties = release["Properties"]
    return _render(properties["Release"], properties["Namespace"], properties["Values"], app.config.kubernetes_version)


@cache
def _render(release: str, namespace: str, values_json: str, kubernetes_version: str) -> list[dict[str, Any]]:
    """Once per distinct chart resource per session: helm takes a moment."""
    return helm_template(
        chart_directory(CHART_FILE),
        release=release,
        namespace=namespace,
        values=render_json(values_json),
        kubernetes_version=kubernetes_version,
    )


def _deployment(app: Synthesized) -> dict[str, Any]:
    (deployment,) = [obj for obj in _rendered(app) if obj["kind"] == "Deployment"]
    return deployment


def _container(app: Synthesized) -> dict[str, Any]:
    (container,) = _deployment(app)["spec"]["template"]["spec"]["containers"]
    return cast(dict[str, Any], container)


def _flag(container: dict[str, Any], name: str) -> list[str]:
    return [arg.split("=", 1)[1] for arg in container["command"] if arg.startswith(f"--{name}=")]


def test_rendered_chart_is_valid_for_the_cluster_version(default_app: Synthesized) -> None:
    objects = _rendered(default_app)
    kinds = sorted(obj["kind"] for obj in objects)
    # No ServiceAccount: the CDK creates it, with the Pod Identity association.
    assert kinds == sorted(
        ["ClusterRole", "ClusterRoleBinding", "Deployment", "PodDisruptionBudget", "Role", "RoleBinding", "Service"]
    )
    for obj in objects:
        assert kubernetes_errors(obj, default_app.config.kubernetes_version) == [], obj["kind"]
        assert obj["metadata"]["name"] == "cluster-autoscaler"
        assert obj["metadata"].get("namespace", "kube-system") == "kube-system"


def test_auto_discovery_finds_exactly_this_clusters_groups(default_app: Synthesized) -> None:
    (discovery,) = _flag(_container(default_app), "node-group-auto-discovery")
    assert discovery == "asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/podnet"
    keys = discovery.removeprefix("asg:tag=").split(",")
    groups = node_groups(default_app)
    assert len(groups) == 3
    for _, group in groups.values():
        group_tags = tags(group)
        assert set(keys) <= set(group_tags)
        assert group_tags["k8s.io/cluster-autoscaler/podnet"] == ("owned", False)
        assert group_tags["k8s.io/cluster-autoscaler/enabled"] == ("true", False)


def test_deployment_runs_the_release_of_the_cluster_minor_with_podnets_flags(default_app: Synthesized) -> None:
    container = _container(default_app)
    assert default_app.config.kubernetes_version == "1.36"
    assert container["image"] == "registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.1"
    assert _flag(container, "cloud-provider") == ["aws"]
    assert _flag(container, "balance-similar-node-groups") == ["true"]
    assert _flag(container, "balancing-ignore-label") == [
        "node.kubernetes.io/instance-type",
        "beta.kubernetes.io/instance-type",
    ]
    assert _flag(container, "expander") == ["least-waste"]
    assert _flag(container, "scale-down-unneeded-time") == ["10m"]
    assert _flag(container, "scale-down-delay-after-add") == ["10m"]
    # Pods cannot reach IMDS (hop limit 1): the region comes from the environment.
    assert {"name": "AWS_REGION", "value": "us-east-1"} in container["env"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_release_table_covers_every_supported_version_with_its_own_minor() -> None:
    assert set(RELEASES) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for kubernetes, release in RELEASES.items():
        assert re.fullmatch(rf"v{re.escape(kubernetes)}\.\d+", release), (kubernetes, release)


def test_deployment_uses_the_service_account_with_the_pod_identity_association(default_app: Synthesized) -> None:
    spec = _deployment(default_app)["spec"]["template"]["spec"]
    (association_id, association) = _association(default_app)
    properties = association["Properties"]
    assert (properties["Namespace"], properties["ServiceAccount"]) == ("kube-system", spec["serviceAccountName"])
    (account,) = [
        obj for obj in _service_account_manifests(default_app) if obj["metadata"]["name"] == spec["serviceAccountName"]
    ]
    assert account["metadata"]["namespace"] == "kube-system"
    (binding,) = [obj for obj in _rendered(default_app) if obj["kind"] == "ClusterRoleBinding"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "cluster-autoscaler", "namespace": "kube-system"}]
    # The association affects only pods created after it: the chart waits for it, and for the groups.
    release_id, release = _release(default_app)
    group_ids = {lid for lid, _ in node_groups(default_app).values()}
    assert {association_id, *group_ids} <= set(release["DependsOn"])
    assert release_id.startswith("ClusterAutoscaler")


def test_release_waits_for_its_pod_on_the_system_nodes(default_app: Synthesized) -> None:
    """A broken CA release fails the deploy; the system nodes it runs on exist before it, so the first deploy
    does not wait for pods that have nowhere to run."""
    _, release = _release(default_app)
    assert (release["Properties"]["Wait"], release["Properties"]["Timeout"]) == (True, "600s")
    system_ids = {lid for lid, _ in node_groups(default_app, SYSTEM).values()}
    assert len(system_ids) == 2
    assert system_ids <= set(release["DependsOn"])
    spec = _deployment(default_app)["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"podnet/system": "true"}
    assert spec["tolerations"] == [
        {"key": "podnet/system", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    # CA does not size the system groups: they carry none of its discovery tags.
    for _, group in node_groups(default_app, SYSTEM).values():
        assert not any(key.startswith("k8s.io/cluster-autoscaler") for key in tags(group))


def _service_account_manifests(app: Synthesized) -> list[dict[str, Any]]:
    found = []
    for resource in app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource").values():
        for obj in render_json(resource["Properties"]["Manifest"]):
            if obj["kind"] == "ServiceAccount":
                found.append(obj)
    return found


def test_permissions_scale_only_groups_tagged_for_this_cluster(default_app: Synthesized) -> None:
    _, association = _association(default_app)
    role_id = association["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    role = default_app.cluster["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Principal"], sorted(trust["Action"])) == (POD_IDENTITY_TRUST, ["sts:AssumeRole", "sts:TagSession"])
    (policy,) = [
        p["Properties"]
        for p in default_app.resources("cluster", "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    describe, scale = policy["PolicyDocument"]["Statement"]
    assert (describe["Resource"], "Condition" in describe) == ("*", False)
    assert all(":Describe" in action or ":Get" in action for action in describe["Action"])
    assert sorted(scale["Action"]) == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    ((operator, condition),) = scale["Condition"].items()
    ((key, value),) = condition.items()
    assert (operator, key, value) == ("StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/podnet", "owned")
    for _, group in node_groups(default_app).values():
        assert tags(group)[key.removeprefix("aws:ResourceTag/")][0] == value


@pytest.mark.parametrize("app_name", ["default_app", "origin_app", "prefix_delegation_app"])
def test_pods_tag_is_what_every_nodes_kubelet_gets(app_name: str, request: pytest.FixtureRequest) -> None:
    """Scale from zero plans with this number: the fewest pods the kubelet of any of the group's types will allow.

    The kubelet's number is the launch template's own CEL expression, run with the ENI table's row of each type.
    """
    app: Synthesized = request.getfixturevalue(app_name)
    expression = app.node_config()["spec"]["kubelet"]["maxPodsExpression"]
    for zone, (_, group) in node_groups(app).items():
        overrides = group["Properties"]["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
        kubelet = []
        for override in overrides:
            limits = lookup(override["InstanceType"])
            assert limits is not None
            kubelet.append(evaluate_max_pods(expression, limits.enis, limits.ips_per_eni))
        group_tags = tags(group)
        assert group_tags["k8s.io/cluster-autoscaler/node-template/resources/pods"] == (str(min(kubelet)), False)
        assert group_tags["k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone"] == (zone, False)


def test_pods_tags_of_the_example_apps_differ_by_mode(
    default_app: Synthesized, origin_app: Synthesized, prefix_delegation_app: Synthesized
) -> None:
    """The three apps above are three cases: m*.large with custom networking, t*.medium, and prefix delegation."""

    def pods(app: Synthesized) -> set[str]:
        key = "k8s.io/cluster-autoscaler/node-template/resources/pods"
        return {tags(group)[key][0] for _, group in node_groups(app).values()}

    assert (pods(default_app), pods(origin_app), pods(prefix_delegation_app)) == ({"20"}, {"12"}, {"110"})


def test_without_the_autoscaler_nothing_of_it_is_deployed(no_autoscaler_app: Synthesized) -> None:
    charts = no_autoscaler_app.resources("cluster", "Custom::AWSCDK-EKS-HelmChart").values()
    assert NAME not in {chart["Properties"]["Release"] for chart in charts}
    associations = no_autoscaler_app.resources("cluster", "AWS::EKS::PodIdentityAssociation").values()
    assert NAME not in {association["Properties"]["ServiceAccount"] for association in associations}
    for _, group in node_groups(no_autoscaler_app).values():
        assert not [key for key in tags(group) if key.startswith("k8s.io/cluster-autoscaler")]


def test_deployed_chart_is_the_packaged_one_unpacked(default_app: Synthesized) -> None:
    """The asset folder holds exactly the files of the package, so rendering either renders what is deployed."""
    folder = chart_directory(CHART_FILE)
    with tarfile.open(CHART_PACKAGE) as package:
        members = {
            member.name.split("/", 1)[1]: package.extractfile(member).read()  # type: ignore[union-attr]
            for member in package.getmembers()
            if member.isfile()
        }
    unpacked = {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert unpacked == members
    assert CHARTS.joinpath(CHART_FILE).read_bytes() == CHART_PACKAGE.read_bytes()
    _, release = _release(default_app)
    properties = release["Properties"]
    # The asset is that folder (its CDK fingerprint names the object), zipped: aws_eks_v2's handler unzips chart
    # assets, so a .tgz asset would fail at deploy.
    url = properties["ChartAssetURL"]["Fn::Sub"]
    assert url.endswith(f"/{FileSystem.fingerprint(str(folder))}.zip")
    assert not {"Chart", "Repository", "Version"} & set(properties)


def test_packaged_chart_matches_its_recorded_checksum() -> None:
    sources = (REPO_ROOT / "podnet" / "data" / "helm" / "SOURCES.md").read_text()
    (row,) = [line for line in sources.splitlines() if line.startswith(f"| `{CHART_FILE}`")]
    assert f"`{hashlib.sha256(CHART_PACKAGE.read_bytes()).hexdigest()}`" in row
