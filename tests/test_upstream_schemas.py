"""The Kubernetes objects podnet synthesizes, checked against the strict upstream schemas.

The API server accepts unknown ENIConfig fields and nodeadm ignores unknown NodeConfig fields, so a typo would only
show up as pods on the wrong subnet or a wrong max pods. The strict schemas turn it into a test failure.
"""

import pytest
import yaml

from tests.support.k8s_schema import kubernetes_errors
from tests.support.schemas import eniconfig_validator, nodeconfig_validator, validation_errors
from tests.support.synth import Synthesized

APPS = [
    pytest.param(app, id=app.removesuffix("_app")) for app in ("default_app", "origin_app", "prefix_delegation_app")
]


@pytest.mark.parametrize("app_fixture", APPS)
def test_every_eniconfig_matches_the_strict_crd_schema(app_fixture: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    eni_configs = app.kubernetes_manifest("EniConfigs")
    assert [e["metadata"]["name"] for e in eni_configs] == list(app.config.node_availability_zones)
    assert {e["metadata"]["name"]: validation_errors(eniconfig_validator(), e) for e in eni_configs} == {
        zone: [] for zone in app.config.node_availability_zones
    }


@pytest.mark.parametrize("app_fixture", APPS)
def test_user_data_nodeconfig_matches_the_strict_crd_schema(app_fixture: str, request: pytest.FixtureRequest) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    assert validation_errors(nodeconfig_validator(), app.node_config()) == []


@pytest.mark.parametrize("app_fixture", APPS)
def test_aws_auth_matches_the_kubernetes_schema_of_the_cluster(
    app_fixture: str, request: pytest.FixtureRequest
) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    (config_map,) = app.kubernetes_manifest("AwsAuth")
    (cluster,) = app.resources("cluster", "AWS::EKS::Cluster").values()
    assert kubernetes_errors(config_map, cluster["Properties"]["Version"]) == []


@pytest.mark.parametrize("app_fixture", APPS)
def test_aws_auth_map_roles_is_a_list_of_role_mappings(app_fixture: str, request: pytest.FixtureRequest) -> None:
    """mapRoles is a YAML string the schema cannot look into; aws-iam-authenticator drops a malformed one."""
    app: Synthesized = request.getfixturevalue(app_fixture)
    (config_map,) = app.kubernetes_manifest("AwsAuth")
    map_roles = yaml.safe_load(config_map["data"]["mapRoles"])
    assert isinstance(map_roles, list) and map_roles
    for mapping in map_roles:
        assert set(mapping) == {"rolearn", "username", "groups"}
        assert isinstance(mapping["rolearn"], str) and isinstance(mapping["username"], str)
        assert isinstance(mapping["groups"], list) and all(isinstance(g, str) for g in mapping["groups"])
