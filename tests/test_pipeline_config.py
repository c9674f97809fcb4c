"""The pipeline's own configuration rules: one pinned AMI release for every environment, and an approval topic."""

import copy
from typing import Any

import pytest

from podnet.config import ConfigError
from podnet.config.environments import expand_environments, validate_environments
from podnet.config.loading import parse_config
from tests.test_environments import EXAMPLE


def _check(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    validate_environments(config, expand_environments(config))


def _example() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE)


def test_the_example_passes() -> None:
    _check(_example())


def test_a_pipeline_environment_without_a_pinned_ami_release_is_refused() -> None:
    raw = _example()
    del raw["nodes"]["amiReleaseVersion"]
    with pytest.raises(ConfigError) as error:
        _check(raw)
    assert str(error.value) == (
        "podnet: environments.dev.nodes.amiReleaseVersion is not set; a pipeline deploys one AMI release to every"
        ' environment, so pin it in the base "nodes" (e.g. "amiReleaseVersion": "v20260827")'
    )
    assert "\n" not in str(error.value)


def test_approval_needs_a_topic() -> None:
    raw = _example()
    del raw["pipeline"]["approvalTopicArn"]
    with pytest.raises(ConfigError, match=r"^podnet: pipeline.approvalTopicArn is not set; approvalBefore needs"):
        _check(raw)
    raw["pipeline"]["approvalBefore"] = []
    _check(raw)  # no approval, no topic needed


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("podnet-approvals", r"is not an SNS topic ARN"),
        ("arn:aws:sns:eu-west-1:111111111111:podnet-approvals", r"is in 111111111111/eu-west-1; use a topic in"),
        ("arn:aws:sns:us-east-1:222222222222:podnet-approvals", r"is in 222222222222/us-east-1; use a topic in"),
    ],
)
def test_the_topic_is_an_sns_topic_of_the_pipeline_account_and_region(topic: str, message: str) -> None:
    raw = _example()
    raw["pipeline"]["approvalTopicArn"] = topic
    with pytest.raises(ConfigError, match=message):
        _check(raw)
