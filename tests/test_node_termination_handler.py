"""NTH: the packaged chart rendered by the real helm with the values podnet synthesizes, and what it needs in AWS.

The chart folder is the one the HelmChart asset deploys (``chart_directory(CHART_FILE)``), unpacked from the
upstream package recorded in podnet/data/helm/SOURCES.md.
"""

import hashlib
from typing import Any, cast

import pytest
from aws_cdk import FileSystem

from podnet.constructs.node_termination_handler import CHART_FILE, RELEASE, SERVICE_ACCOUNT
from podnet.constructs.packaged_helm_chart import CHARTS, chart_directory
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render, render_json
from tests.support.k8s_schema import kubernetes_errors
from tests.support.kubectl import helm_template
from tests.support.synth import Synthesized

Objects = list[dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(default_app: Synthesized) -> Objects:
    chart = default_app.helm_chart(RELEASE)
    return helm_template(
        chart_directory(CHART_FILE),
        release=chart["Release"],
        namespace=chart["Namespace"],
        values=chart["Values"],
        kubernetes_version=default_app.config.kubernetes_version,
    )


def _one(objects: Objects, kind: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


def _env(deployment: dict[str, Any]) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def _nth_association(app: Synthesized) -> dict[str, Any]:
    (association,) = [
        cast(dict[str, Any], r["Properties"])
        for r in app.resources("cluster", "AWS::EKS::PodIdentityAssociation").values()
        if r["Properties"]["ServiceAccount"] == SERVICE_ACCOUNT
    ]
    return association


def test_chart_file_is_the_upstream_package_recorded_in_sources() -> None:
    digest = hashlib.sha256(CHARTS.joinpath(CHART_FILE).read_bytes()).hexdigest()
    sources = (REPO_ROOT / "podnet" / "data" / "helm" / "SOURCES.md").read_text()
    (row,) = [line for line in sources.splitlines() if line.startswith(f"| `{CHART_FILE}`")]
    assert digest in row


def test_queue_mode_renders_a_deployment_and_its_pdb_only(rendered: Objects) -> None:
    # No DaemonSet (IMDS mode) and no ServiceAccount (podnet's carries the Pod Identity association).
    assert sorted(o["kind"] for o in rendered) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "PodDisruptionBudget",
    ]


def test_every_rendered_object_is_valid_for_the_cluster_version(rendered: Objects, default_app: Synthesized) -> None:
    for obj in rendered:
        assert kubernetes_errors(obj, default_app.config.kubernetes_version) == [], obj["kind"]


def test_deployment_reads_this_stacks_queue(rendered: Objects, default_app: Synthesized) -> None:
    (queue_id,) = default_app.resources("cluster", "AWS::SQS::Queue")
    env = _env(_one(rendered, "Deployment"))
    assert env["ENABLE_SQS_TERMINATION_DRAINING"] == "true"
    # A queue's Ref is its URL.
    assert env["QUEUE_URL"] == f"<Ref:{queue_id}>"
    assert env["AWS_REGION"] == default_app.config.region
    assert env["CHECK_TAG_BEFORE_DRAINING"] == "true"
    # This cluster's instances only (tests/test_termination_events.py routes another cluster's events), found by
    # providerID rather than by a node name two clusters can share.
    assert env["MANAGED_TAG"] == "aws-node-termination-handler/managed/podnet"
    assert env["USE_PROVIDER_ID"] == "true"


def test_pods_use_the_service_account_that_has_the_pod_identity_association(
    rendered: Objects, default_app: Synthesized
) -> None:
    association = _nth_association(default_app)
    deployment = _one(rendered, "Deployment")
    assert deployment["metadata"]["namespace"] == association["Namespace"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == association["ServiceAccount"]
    (subject,) = _one(rendered, "ClusterRoleBinding")["subjects"]
    assert (subject["name"], subject["namespace"]) == (association["ServiceAccount"], association["Namespace"])
    # podnet creates that ServiceAccount before the chart, so pods find the association when they are created.
    (service_account,) = [
        doc
        for resource in default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource").values()
        for doc in render_json(resource["Properties"]["Manifest"])
        if doc["kind"] == "ServiceAccount" and doc["metadata"]["name"] == association["ServiceAccount"]
    ]
    assert service_account["metadata"]["namespace"] == association["Namespace"]


def test_two_replicas_spread_over_nodes_with_a_disruption_budget(rendered: Objects) -> None:
    deployment = _one(rendered, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (spread,) = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["maxSkew"], spread["whenUnsatisfiable"]) == (
        "kubernetes.io/hostname",
        1,
        "DoNotSchedule",
    )
    assert spread["labelSelector"]["matchLabels"].items() <= pod_labels.items(), "the spread must select NTH's pods"
    budget = _one(rendered, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]


def test_pods_run_on_the_system_nodes_only(rendered: Objects, default_app: Synthesized) -> None:
    spec = _one(rendered, "Deployment")["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "podnet/system": "true"}
    assert spec["tolerations"] == [
        {"key": "podnet/system", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    # The taint the toleration matches is the one the system nodes register with.
    flags = default_app.node_config("SystemNodes")["spec"]["kubelet"]["flags"]
    assert "--register-with-taints=podnet/system=true:NoSchedule" in flags
    assert "--node-labels=podnet/system=true" in flags


def test_release_waits_for_its_pods_after_the_system_nodes_exist(default_app: Synthesized) -> None:
    """A broken NTH fails the deploy; the first deploy is not blocked, because its nodes come first."""
    chart = default_app.helm_chart(RELEASE)
    assert chart["Wait"] is True
    assert chart["Timeout"] == "600s"
    (release_id,) = [
        lid
        for lid, r in default_app.resources("cluster", "Custom::AWSCDK-EKS-HelmChart").items()
        if r["Properties"]["Release"] == RELEASE
    ]
    system_groups = [
        lid
        for lid in default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup")
        if lid.startswith("System")
    ]
    assert len(system_groups) == 2
    assert set(system_groups) <= set(default_app.cluster["Resources"][release_id]["DependsOn"])


def test_chart_is_the_packaged_file_deployed_as_an_asset(default_app: Synthesized) -> None:
    chart = default_app.helm_chart(RELEASE)
    # The asset's object key is the CDK fingerprint of its source: the folder the tests above render, zipped (the
    # kubectl handler unzips chart assets).
    url = chart["ChartAssetURL"]["Fn::Sub"]
    fingerprint = FileSystem.fingerprint(str(chart_directory(CHART_FILE)))
    assert url == f"s3://cdk-hnb659fds-assets-${{AWS::AccountId}}-us-east-1/{fingerprint}.zip"
    assert "Repository" not in chart and "Chart" not in chart and "Version" not in chart
    assert chart["Namespace"] == "kube-system"


def _nth_policy(app: Synthesized) -> list[dict[str, Any]]:
    (role_id,) = [
        lid
        for lid in app.resources("cluster", "AWS::IAM::Role")
        if lid.startswith("NodeTerminationHandlerServiceAccount")
    ]
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in app.resources("cluster", "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert _nth_association(app)["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    return list(policy)


def test_permissions_are_exact_actions_on_this_queue_and_these_groups(default_app: Synthesized) -> None:
    statements = _nth_policy(default_app)
    (queue_id,) = default_app.resources("cluster", "AWS::SQS::Queue")
    groups = default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup")
    granted: dict[str, set[str]] = {}
    for s in statements:
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for action in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
            granted.setdefault(action, set()).update(render(resource) for resource in resources)
    assert all("*" not in action for action in granted), "no wildcard actions"
    assert len(groups) == 5, "three spot groups, two system groups"
    assert granted == {
        "sqs:ReceiveMessage": {f"<{queue_id}.Arn>"},
        "sqs:DeleteMessage": {f"<{queue_id}.Arn>"},
        "ec2:DescribeInstances": {"*"},
        "autoscaling:CompleteLifecycleAction": {
            f"arn:aws:autoscaling:us-east-1:<Ref:AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<Ref:{lid}>"
            for lid in groups
        },
    }
    assert all(s["Effect"] == "Allow" for s in statements)


def test_every_node_group_has_both_hooks_and_the_managed_tag(default_app: Synthesized) -> None:
    groups = default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup")
    hooks = default_app.resources("cluster", "AWS::AutoScaling::LifecycleHook")
    assert groups and len(hooks) == 2 * len(groups)
    for lid, group in groups.items():
        of_group = {
            h["Properties"]["LifecycleTransition"]: h
            for h in hooks.values()
            if h["Properties"]["AutoScalingGroupName"] == {"Ref": lid}
        }
        terminating = of_group["autoscaling:EC2_INSTANCE_TERMINATING"]["Properties"]
        launching = of_group["autoscaling:EC2_INSTANCE_LAUNCHING"]
        # A node that cannot be drained still goes; a node NTH does not confirm Ready still goes into service (a
        # broken NTH must not terminate every new node).
        assert (terminating["DefaultResult"], launching["Properties"]["DefaultResult"]) == ("CONTINUE", "CONTINUE")
        # Separate resources that Ref the group, so created after it (not in the group's own hook list): a new group's
        # first instances (where NTH itself runs) are not held.
        assert "LifecycleHookSpecificationList" not in group["Properties"]
        for hook in (terminating, launching["Properties"]):
            assert isinstance(hook["HeartbeatTimeout"], int)
            # Lifecycle actions reach the queue through the EventBridge rule only: no second message per action.
            assert "NotificationTargetARN" not in hook and "RoleARN" not in hook
        tags = {t["Key"]: t for t in group["Properties"]["Tags"]}
        # NTH checks the instance's tags, so the group must propagate it.
        assert tags["aws-node-termination-handler/managed/podnet"]["PropagateAtLaunch"] is True


def test_every_kubernetes_manifest_is_applied_with_overwrite(default_app: Synthesized) -> None:
    """NTH's and CA's ServiceAccounts too (aws_eks_v2.ServiceAccount creates them without): a create that finds the
    object already there updates it instead of failing with AlreadyExists."""
    manifests = default_app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
    accounts = [lid for lid in manifests if "ServiceAccount" in lid]
    assert len(accounts) == 2
    assert {lid: m["Properties"].get("Overwrite") for lid, m in manifests.items()} == dict.fromkeys(manifests, True)
