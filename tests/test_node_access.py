"""NodeAccess: the authentication mode, the nodes' EC2_LINUX access entry, aws-auth only where it is honoured."""

from typing import Any

from tests.support.synth import Synthesized


def _cluster_properties(app: Synthesized) -> dict[str, Any]:
    (cluster,) = app.resources("cluster", "AWS::EKS::Cluster").values()
    properties: dict[str, Any] = cluster["Properties"]
    return properties


def _node_entry(app: Synthesized) -> tuple[str, dict[str, Any]]:
    """The access entry whose principal is the node role (the others are the admins' and the kubectl provider's)."""
    (role_id,) = [lid for lid in app.resources("cluster", "AWS::IAM::Role") if lid.startswith("SpotNodesRole")]
    ((logical_id, entry),) = [
        (lid, entry)
        for lid, entry in app.resources("cluster", "AWS::EKS::AccessEntry").items()
        if entry["Properties"]["PrincipalArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    ]
    return logical_id, entry


def _aws_auth_ids(app: Synthesized) -> list[str]:
    return [
        lid
        for lid in app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource")
        if lid.startswith("ClusterAwsAuth")
    ]


def _node_group_depends_on(app: Synthesized) -> set[str]:
    """What every node group DependsOn (the groups of all zones alike)."""
    groups = app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup").values()
    assert groups
    return set.intersection(*(set(group["DependsOn"]) for group in groups))


def test_api_mode_sets_the_mode_and_writes_no_aws_auth(existing_vpc_app: Synthesized) -> None:
    assert existing_vpc_app.config.authentication_mode == "API"
    assert _cluster_properties(existing_vpc_app)["AccessConfig"]["AuthenticationMode"] == "API"
    assert _aws_auth_ids(existing_vpc_app) == []


def test_node_entry_is_ec2_linux_without_policies_or_groups(
    existing_vpc_app: Synthesized, default_app: Synthesized
) -> None:
    """EKS rejects access policies and Kubernetes groups on EC2_LINUX entries; the CDK would synthesize them."""
    for app in (existing_vpc_app, default_app):
        _, entry = _node_entry(app)
        properties = entry["Properties"]
        assert properties["Type"] == "EC2_LINUX"
        assert properties.get("AccessPolicies", []) == []
        assert "KubernetesGroups" not in properties
        assert "Username" not in properties
        assert properties["ClusterName"] == {"Ref": next(iter(app.resources("cluster", "AWS::EKS::Cluster")))}


def test_nodes_wait_for_their_access(existing_vpc_app: Synthesized, default_app: Synthesized) -> None:
    api_entry, _ = _node_entry(existing_vpc_app)
    assert api_entry in _node_group_depends_on(existing_vpc_app)
    default_entry, _ = _node_entry(default_app)
    (aws_auth,) = _aws_auth_ids(default_app)
    assert {default_entry, aws_auth} <= _node_group_depends_on(default_app)


def test_default_mode_keeps_aws_auth_next_to_the_entry(default_app: Synthesized) -> None:
    assert default_app.config.authentication_mode == "API_AND_CONFIG_MAP"
    assert _cluster_properties(default_app)["AccessConfig"]["AuthenticationMode"] == "API_AND_CONFIG_MAP"
    assert len(_aws_auth_ids(default_app)) == 1


def test_the_entry_keeps_its_logical_id_across_the_mode_switch(
    existing_vpc_app: Synthesized, default_app: Synthesized
) -> None:
    """Deploy 2 of the migration must update the stack, not replace the entry (a second entry for the same role
    would conflict with the first)."""
    assert _node_entry(existing_vpc_app)[0] == _node_entry(default_app)[0]
