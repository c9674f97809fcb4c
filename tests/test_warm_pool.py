"""The VPC CNI warm pool: settings validated as the CNI documents them, and the IPs each node may hold."""

from typing import Any

import pytest

from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.validation import validate
from podnet.ipplan.warm_pool import warm_pool_ips, zone_pod_capacity


def _warm(prefix_delegation: bool, warm_ip: int | None = None, minimum: int | None = None, prefix: int = 1) -> int:
    return warm_pool_ips(
        ips_per_eni=10,
        prefix_delegation=prefix_delegation,
        warm_ip_target=warm_ip,
        minimum_ip_target=minimum,
        warm_prefix_target=prefix,
    )


def test_warm_ips_per_node_follow_the_cni_docs() -> None:
    assert _warm(False) == 9, "WARM_ENI_TARGET=1: a whole spare ENI (10 IPs, its primary excluded)"
    assert _warm(False, warm_ip=2, minimum=12) == 2
    assert _warm(False, minimum=12) == 0, "a floor only: a full node holds no spare"
    assert _warm(True) == 31, "one spare /28 and up to 15 addresses of a partly used one"
    assert _warm(True, prefix=2) == 47
    assert _warm(True, warm_ip=5, minimum=10) == 31, "WARM_IP_TARGET 5 rounds up to a /28"
    assert _warm(True, warm_ip=17, minimum=10) == 47


def test_zone_capacity_is_the_pod_ips_less_every_nodes_warm_pool() -> None:
    assert zone_pod_capacity(pod_ips=16_379, nodes=2, max_pods=20, warm_ips=9) == 40
    assert zone_pod_capacity(pod_ips=59, nodes=3, max_pods=20, warm_ips=9) == 32
    assert zone_pod_capacity(pod_ips=20, nodes=3, max_pods=20, warm_ips=9) == 0


def test_the_warm_pool_reaches_aws_node_and_the_plan() -> None:
    config = parse_config({"cni": {"warmIpTarget": 2, "minimumIpTarget": 12}})
    validate(config)
    assert (config.aws_node_env["WARM_IP_TARGET"], config.aws_node_env["MINIMUM_IP_TARGET"]) == ("2", "12")
    assert config.warm_pool_ips == 2
    prefixes = parse_config({"prefixDelegation": True, "cni": {"warmPrefixTarget": 2}})
    assert prefixes.aws_node_env["WARM_PREFIX_TARGET"] == "2"


@pytest.mark.parametrize(
    ("cni", "message"),
    [
        ({"warmPrefixTarget": 2}, "podnet: cni.warmPrefixTarget 2 works only with prefix delegation"),
        ({"warmIpTarget": 0}, "cni.warmIpTarget"),
        ({"minimumIpTarget": -1}, "cni.minimumIpTarget"),
    ],
)
def test_bad_warm_pools_fail_in_one_line(cni: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(parse_config({"cni": cni}))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_ip_targets_override_the_prefix_target_so_both_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"cni\.warmPrefixTarget has no effect with cni\.warmIpTarget"):
        validate(parse_config({"prefixDelegation": True, "cni": {"warmPrefixTarget": 1, "warmIpTarget": 3}}))


def test_warm_ip_target_warns_about_ec2_calls() -> None:
    warnings = validate(parse_config({"cni": {"warmIpTarget": 2, "minimumIpTarget": 12}}))
    assert any(w.startswith("cni.warmIpTarget 2:") for w in warnings)
