"""The Kubernetes objects podnet synthesizes, checked against the strict upstream schemas.

The API server accepts unknown ENIConfig fields and nodeadm ignores unknown NodeConfig fields, so a typo would only
show up as pods on the wrong subnet or a wrong max pods. The strict schemas turn it into a test failure.
"""

from typing import Any

import pytest
import yaml

from tests.support.cfn_tokens import render_json
from tests.support.k8s_schema import kubernetes_errors
from tests.support.schemas import eniconfig_validator, nodeconfig_validator, validation_errors
from tests.support.synth import Synthesized
from tests.test_spot_node_group import node_config

APPS = [
    pytest.param(app, id=app.removesuffix("_app")) for app in ("default_app", "origin_app", "prefix_delegation_app")
]


def _manifest(app: Synthesized, construct: str) -> list[dict[str, Any]]:
    """The objects of the cluster's KubernetesManifest ``construct``, tokens rendered as ``<...>`` strings."""
    (resource,) = [
        r
        for lid, r in app.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource").items()
        if lid.startswith(f"Cluster{construct}")
    ]
    objects: list[dict[str, Any]] = render_json(resource["Properties"]["Manifest"])
    return objects


@pytest.mark.parametrize("app_fixture", APPS)
def test_every_eniconfig_matches_the_strict_crd_schema(app_fixture: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    eni_configs = _manifest(app, "EniConfigs")
    assert [e["metadata"]["name"] for e in eni_configs] == list(app.config.node_availability_zones)
    assert {e["metadata"]["name"]: validation_errors(eniconfig_validator(), e) for e in eni_configs} == {
        zone: [] for zone in app.config.node_availability_zones
    }


@pytest.mark.parametrize("app_fixture", APPS)
def test_user_data_nodeconfig_matches_the_strict_crd_schema(app_fixture: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    assert validation_errors(nodeconfig_validator(), node_config(app)) == []


@pytest.mark.parametrize("app_fixture", APPS)
def test_aws_auth_matches_the_kubernetes_schema_of_the_cluster(
    app_fixture: str, request: pytest.FixtureRequest
) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    (config_map,) = _manifest(app, "AwsAuth")
    (cluster,) = app.resources("cluster", "AWS::EKS::Cluster").values()
    assert kubernetes_errors(config_map, cluster["Properties"]["Version"]) == []


@pytest.mark.parametrize("app_fixture", APPS)
def test_aws_auth_map_roles_is_a_list_of_role_mappings(app_fixture: str, request: pytest.FixtureRequest) -> None:
    """mapRoles is a YAML string the schema cannot look into; aws-iam-authenticator drops a malformed one."""
    app: Synthesized = request.getfixturevalue(app_fixture)
    (config_map,) = _manifest(app, "AwsAuth")
    map_roles = yaml.safe_load(config_map["data"]["mapRoles"])
    assert isinstance(map_roles, list) and map_roles
    for mapping in map_roles:
        assert set(mapping) == {"rolearn", "username", "groups"}
        assert isinstance(mapping["rolearn"], str) and isinstance(mapping["username"], str)
        assert isinstance(mapping["groups"], list) and all(isinstance(g, str) for g in mapping["groups"])
