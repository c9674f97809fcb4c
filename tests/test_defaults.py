"""Defaults that follow the user: zones follow the region, desiredSize does not block a smaller maxSize when the
autoscaler sizes the groups."""

from typing import Any

import pytest

from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.regions import aws_regions
from podnet.config.zones import ZONES_DIFFER
from podnet.plan import make_plans

ADMIN = {"adminRoleArns": ["arn:aws:iam::123456789012:role/admin"]}


def plan(raw: dict[str, Any]) -> Any:
    (only,) = make_plans(parse_config({**ADMIN, **raw})).values()
    return only


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2", "ap-southeast-2", "sa-east-1", "us-gov-west-1"])
def test_default_zones_follow_the_region(region: str) -> None:
    admin = "arn:aws-us-gov:iam::123456789012:role/admin" if region.startswith("us-gov") else ADMIN["adminRoleArns"][0]
    (result,) = make_plans(parse_config({"region": region, "adminRoleArns": [admin]})).values()
    assert [zone.name for zone in result.zones] == [f"{region}a", f"{region}b", f"{region}c"]


@pytest.mark.parametrize("region", sorted(ZONES_DIFFER))
def test_regions_whose_letters_differ_need_explicit_zones(region: str) -> None:
    assert region in aws_regions()
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    admin = {"adminRoleArns": [f"arn:{partition}:iam::123456789012:role/admin"]}
    with pytest.raises(ConfigError) as caught:
        make_plans(parse_config({"region": region, **admin}))
    assert str(caught.value).startswith(
        f"podnet: availabilityZones is not set, and podnet does not guess them in {region}, which "
    )
    assert f"aws ec2 describe-availability-zones --region {region}" in str(caught.value)
    make_plans(parse_config({"region": region, "availabilityZones": [f"{region}a", f"{region}b"], **admin}))


def test_max_size_alone_works_with_the_autoscaler() -> None:
    """desiredSize (default 3) is not used with the autoscaler: maxSize 2 alone is a valid configuration."""
    result = plan({"nodes": {"maxSize": 2}})
    assert [(group.min_size, group.desired_size, group.max_size) for group in result.node_groups] == [
        (1, None, 1),
        (1, None, 1),
    ]


def test_without_the_autoscaler_desired_size_must_still_fit() -> None:
    with pytest.raises(ConfigError, match=r"need minSize <= desiredSize <= maxSize \(got 2, 3, 2\)"):
        plan({"nodes": {"maxSize": 2, "autoscaler": False}})
    with pytest.raises(ConfigError, match="nodes: minSize 3 is above maxSize 2"):
        plan({"nodes": {"minSize": 3, "maxSize": 2}})
