"""Environments and the pipeline section: overrides merge onto the base, every rule names its setting."""

import copy
import json
from importlib.metadata import version
from typing import Any

import pytest

from podnet.config import ConfigError, PodnetConfig
from podnet.config.environments import expand_environments, validate_environments
from podnet.config.loading import parse_config
from tests.support import REPO_ROOT

EXAMPLE: dict[str, Any] = json.loads((REPO_ROOT / "examples" / "pipeline.json").read_text())


def expand(raw: dict[str, Any]) -> tuple[dict[str, PodnetConfig], list[str]]:
    config = parse_config(raw)
    environments = expand_environments(config)
    return environments, validate_environments(config, environments)


def example(**changes: Any) -> dict[str, Any]:
    """examples/pipeline.json with top-level sections replaced or patched."""
    raw = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        raw[key] = value(raw[key]) if callable(value) else value
    return raw


def test_without_environments_the_base_is_the_only_environment() -> None:
    environments, _ = expand({"clusterName": "solo"})
    assert list(environments) == ["solo"]
    assert environments["solo"].cluster_name == "solo"


def test_example_environments_merge_onto_the_base() -> None:
    environments, warnings = expand(EXAMPLE)
    dev, prod = environments["dev"], environments["prod"]
    assert (dev.account, dev.region, dev.availability_zones) == (
        "222222222222",
        "eu-west-1",
        ("eu-west-1a", "eu-west-1b"),
    )
    assert str(dev.pod_cidr) == "100.64.0.0/16"  # from the base
    assert (dev.nodes.max_size, dev.nodes.instance_types) == (3, PodnetConfig().nodes.instance_types)  # nodes merge
    assert (prod.account, str(prod.vpc_cidr), prod.nodes.on_demand_base_capacity) == ("333333333333", "10.1.0.0/16", 1)
    assert all(
        environment.environments is None and environment.pipeline is None for environment in environments.values()
    )
    assert warnings == []


def raises(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        expand(raw)
    assert str(error.value) == message


def with_env(name: str, **settings: Any) -> Any:
    return lambda environments: {**environments, name: {**environments[name], **settings}}


def test_environment_errors_name_the_environment() -> None:
    raises(
        example(environments=with_env("prod", podCidr="10.1.0.0/16")),
        "podnet: environments.prod.podCidr 10.1.0.0/16 overlaps vpcCidr 10.1.0.0/16; use a separate block, e.g."
        " from 100.64.0.0/10",
    )


def test_environment_parse_errors_name_the_environment() -> None:
    raises(
        example(environments=with_env("dev", nodes={"minSize": -1})),
        "podnet: environments.dev.nodes.minSize: Input should be greater than or equal to 0 (got -1); fix it in"
        " cdk.json or your config file",
    )


def test_a_region_override_brings_its_own_default_zones() -> None:
    """The base's zones are a default, not a setting: an environment in another region gets that region's."""
    environments, _ = expand({"environments": {"dev": {"region": "eu-west-1"}, "prod": {"clusterName": "prod"}}})
    assert environments["dev"].availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert environments["prod"].availability_zones == ("us-east-1a", "us-east-1b", "us-east-1c")


def test_zones_the_base_sets_stay_settings() -> None:
    zones = {"availabilityZones": ["us-east-1a", "us-east-1b"]}
    with pytest.raises(ConfigError, match=r"^podnet: environments\.dev\.availabilityZones: 'us-east-1a' is not a zone"):
        expand({**zones, "environments": {"dev": {"region": "eu-west-1"}}})


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        ({}, 'podnet: environments is empty; add an environment (e.g. "dev": {}) or remove environments'),
        (
            {"Dev": {}},
            "podnet: environments: 'Dev' is not a usable environment name; use 1-20 lowercase letters,"
            " digits or '-', starting with a letter",
        ),
        (
            {"dev": {"pipeline": {}}},
            "podnet: environments.dev.pipeline: only the top level can set pipeline; move it there",
        ),
        (
            {"a": {}, "b": {}},
            "podnet: environments.b.clusterName 'podnet' is also environment 'a''s cluster in the"
            " same account and region; give each environment its own clusterName",
        ),
    ],
)
def test_environment_rules(environments: dict[str, Any], message: str) -> None:
    raises({"environments": environments}, message)


def pipeline(**settings: Any) -> Any:
    return lambda section: {**section, **settings}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"waves": [["dev"], ["stage"]]}, "podnet: pipeline.waves[1]: unknown environment 'stage'; defined: dev, prod"),
        (
            {"waves": [["dev", "prod"], ["prod"]]},
            "podnet: pipeline.waves[1]: environment 'prod' is already in"
            " pipeline.waves[0]; deploy each environment in exactly one wave",
        ),
        ({"waves": [["dev"]]}, "podnet: pipeline.waves: environment(s) prod in no wave; add each to one wave"),
        (
            {"waves": [["dev"], []]},
            "podnet: pipeline.waves[1] is empty; list at least one environment or remove the wave",
        ),
        (
            {"approvalBefore": ["production"]},
            "podnet: pipeline.approvalBefore: unknown environment 'production'; defined: dev, prod",
        ),
        ({"repository": "podnet"}, "podnet: pipeline.repository 'podnet' is not owner/name; use e.g. my-org/podnet"),
        (
            {"connectionArn": "arn:aws:iam::111111111111:role/x"},
            "podnet: pipeline.connectionArn"
            " 'arn:aws:iam::111111111111:role/x' is not a CodeConnections ARN; use"
            " arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections)",
        ),
        ({"account": "1111"}, "podnet: pipeline.account '1111' is not an AWS account id; use its 12 digits"),
        (
            {"region": "mars"},
            f"podnet: pipeline.region 'mars' is not an AWS region (none of that name in the partition data of"
            f" botocore {version('botocore')}); use e.g. us-east-1",
        ),
        (
            {"region": "eu-west-9"},
            f"podnet: pipeline.region 'eu-west-9' is not an AWS region (none of that name in the partition data of"
            f" botocore {version('botocore')}); did you mean one of eu-west-1, eu-west-2, eu-west-3?",
        ),
    ],
)
def test_pipeline_rules(settings: dict[str, Any], message: str) -> None:
    raises(example(pipeline=pipeline(**settings)), message)


def test_legacy_codestar_connection_arn_is_accepted() -> None:
    arn = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    environments, _ = expand(example(pipeline=pipeline(connectionArn=arn)))
    assert list(environments) == ["dev", "prod"]


def test_pipeline_environments_need_an_account() -> None:
    environments = {
        name: {k: v for k, v in env.items() if k != "account"} for name, env in EXAMPLE["environments"].items()
    }
    raises(
        example(environments=environments),
        "podnet: environments.dev.account is not set; the pipeline deploys to explicit accounts, so give each"
        " environment its 12-digit account id",
    )


def test_unknown_pipeline_key_suggests_the_right_one() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown setting 'pipeline.approvalsBefore'; did you mean 'approvalBefore'\?"
    ):
        parse_config(example(pipeline=pipeline(approvalsBefore=["prod"])))


def test_environment_warnings_name_the_environment() -> None:
    _, warnings = expand(example(environments=with_env("dev", podCidr="172.2.0.0/16")))
    assert warnings and all(warning.startswith("environments.dev: ") for warning in warnings)


def _existing_vpc(region: str, letters: str = "ab") -> dict[str, Any]:
    return {
        "vpcId": "vpc-0123456789abcdef0",
        "cidrBlocks": ["10.20.0.0/16"],
        "nodeSubnets": {
            f"{region}{letter}": {
                "subnetId": f"subnet-0{letter}1{letter}2{letter}3{letter}",
                "routeTableId": "rtb-01234567",
            }
            for letter in letters
        },
    }


def test_an_environment_can_adopt_an_existing_vpc() -> None:
    """The base builds its VPC from the default vpcCidr; that default is not 'set', so prod may use existingVpc."""
    environments, _ = expand(
        {"environments": {"dev": {"clusterName": "dev"}, "prod": {"existingVpc": _existing_vpc("us-east-1")}}}
    )
    assert environments["dev"].existing_vpc is None
    prod = environments["prod"]
    assert prod.existing_vpc is not None
    assert prod.availability_zones == ("us-east-1a", "us-east-1b")


def test_zones_follow_each_environments_own_existing_vpc() -> None:
    """Zones the base only derived from its nodeSubnets do not stick to an environment with other node subnets."""
    raw = {
        "existingVpc": _existing_vpc("us-east-1", "abc"),
        "environments": {
            "dev": {"clusterName": "dev", "region": "eu-west-1", "existingVpc": _existing_vpc("eu-west-1")},
            "prod": {"clusterName": "prod"},
        },
    }
    environments, _ = expand(raw)
    assert environments["dev"].availability_zones == ("eu-west-1a", "eu-west-1b")
    assert environments["prod"].availability_zones == ("us-east-1a", "us-east-1b", "us-east-1c")


def test_an_explicit_base_vpc_cidr_conflicts_with_an_environments_existing_vpc() -> None:
    raises(
        {"vpcCidr": "10.0.0.0/16", "environments": {"prod": {"existingVpc": _existing_vpc("us-east-1")}}},
        "podnet: environments.prod.vpcCidr is set together with existingVpc, whose blocks are"
        " existingVpc.cidrBlocks; remove vpcCidr",
    )
