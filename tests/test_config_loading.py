"""Reading the configuration: cdk.json context, an optional file over it, one-line errors for every mistake."""

import json
from pathlib import Path

import pytest

from podnet.config import ConfigError, load_config
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY


def error_of(context: dict[str, object], config_file: Path | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(context, config_file)
    message = str(caught.value)
    assert message.startswith("podnet: ") and "\n" not in message
    return message


def test_defaults_without_any_setting() -> None:
    config = load_config({})
    assert (str(config.vpc_cidr), str(config.pod_cidr), config.max_pods_cap) == ("10.0.0.0/20", "100.64.0.0/16", 110)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"podCIDR": "100.64.0.0/16"}, "unknown setting 'podCIDR'; did you mean 'podCidr'?"),
        (
            {"nodes": {"instanceType": ["m5.large"]}},
            "unknown setting 'nodes.instanceType'; did you mean 'instanceTypes'?",
        ),
        ({"zzz": 1}, "unknown setting 'zzz'; known settings: account,"),
        ({"vpcCidr": "10.0.0.1/16"}, "vpcCidr: "),
        ({"endpointAccess": "open"}, "endpointAccess: Input should be 'private', 'public-and-private' or 'public'"),
        ({"nodes": {"maxSize": 0}}, "nodes.maxSize: "),
        ({"nodes": {"maxUnavailablePercent": 0}}, "nodes.maxUnavailablePercent: Input should be greater than 0"),
        ({"nodes": {"maxUnavailablePercent": 150}}, "nodes.maxUnavailablePercent: Input should be less than or equal"),
    ],
)
def test_bad_settings_name_the_setting(raw: dict[str, object], expected: str) -> None:
    assert expected in error_of({CONTEXT_KEY: raw})


def test_file_overrides_context_key_by_key(tmp_path: Path) -> None:
    context = {
        CONTEXT_KEY: {
            "clusterName": "base",
            "podSubnets": {"us-east-1a": "100.64.0.0/18", "us-east-1b": "100.64.64.0/18"},
            "nodes": {"minSize": 1, "maxSize": 4},
        }
    }
    file = tmp_path / "override.json"
    file.write_text(json.dumps({"podSubnets": {"us-east-1a": "100.64.128.0/18"}, "nodes": {"maxSize": 9}}))
    config = load_config({**context, CONFIG_FILE_CONTEXT_KEY: str(file)})
    assert config.cluster_name == "base"
    # A map setting is replaced whole: the file names exactly one pod subnet.
    assert {zone: str(cidr) for zone, cidr in (config.pod_subnets or {}).items()} == {"us-east-1a": "100.64.128.0/18"}
    # A settings group merges key by key.
    assert (config.nodes.min_size, config.nodes.max_size) == (1, 9)


def test_yaml_file(tmp_path: Path) -> None:
    file = tmp_path / "podnet.yaml"
    file.write_text("clusterName: from-yaml\nnodes:\n  instanceTypes: [m5.large, m6i.large, m7i.large]\n")
    config = load_config({}, file)
    assert (config.cluster_name, config.nodes.instance_types) == ("from-yaml", ("m5.large", "m6i.large", "m7i.large"))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.json", "{not json", "is not valid json"),
        ("bad.yaml", "a: [unclosed", "is not valid yaml"),
        ("list.json", "[1, 2]", "must hold a mapping of settings"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, expected: str) -> None:
    file = tmp_path / name
    file.write_text(content)
    assert expected in error_of({}, file)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "version.yaml",
            "kubernetesVersion: 1.35\n",
            "kubernetesVersion: 1.35 is read as a number, not as text; quote it: '1.35'",
        ),
        (
            "version.yaml",
            "kubernetesVersion: 1.30\n",
            "kubernetesVersion: 1.30 is read as the number 1.3, not as text; quote it: '1.30'",
        ),
        (
            "version.json",
            '{"kubernetesVersion": 1.30}',
            "kubernetesVersion: 1.30 is read as the number 1.3, not as text; quote it: '1.30'",
        ),
        (
            "account.yaml",
            "account: 123456789012\n",
            "account: 123456789012 is read as a number, not as text; quote it: '123456789012'",
        ),
    ],
)
def test_a_number_where_text_belongs_says_how_to_quote_it(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    file = tmp_path / name
    file.write_text(content)
    assert error_of({}, file) == f"podnet: {expected}"


def test_numbers_still_load_where_numbers_belong(tmp_path: Path) -> None:
    file = tmp_path / "podnet.yaml"
    file.write_text("kubernetesVersion: '1.35'\nmaxPodsCap: 58\nnodes: {minSize: 1, desiredSize: 2, maxSize: 3}\n")
    config = load_config({}, file)
    assert (config.kubernetes_version, config.max_pods_cap, config.nodes.max_size) == ("1.35", 58, 3)
    assert type(config.max_pods_cap) is int


def test_a_number_from_cdk_context_is_quoted_as_given() -> None:
    """The CDK CLI hands context over already parsed: the text is gone, so the hint shows the number."""
    message = error_of({CONTEXT_KEY: {"kubernetesVersion": 1.35}})
    assert message == "podnet: kubernetesVersion: 1.35 is read as a number, not as text; quote it: '1.35'"


def test_missing_file(tmp_path: Path) -> None:
    assert "pass an existing JSON or YAML file" in error_of({}, tmp_path / "absent.json")
