"""Environments (dev, prod, ...): the base configuration with per-environment overrides, and the pipeline rules.

Each environment is the base settings merged with its overrides (``podnet.config.loading.merge``) and then
checked exactly like a single deployment, so an environment can never deploy what ``make synth`` would reject.
Errors name the environment: ``podnet: environments.prod.podCidr ...``.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from podnet.config.errors import ConfigError
from podnet.config.loading import merge, parse_config
from podnet.config.model import PipelineConfig, PodnetConfig
from podnet.config.regions import check_region
from podnet.config.validation import ACCOUNT, SNS_TOPIC_ARN, validate

#: Keys that describe the deployment as a whole, not one environment.
TOP_LEVEL_ONLY = ("environments", "pipeline")
#: A stage name becomes part of CloudFormation stack names: keep it short and plain.
ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")
REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
#: CodeStar Connections (legacy name) or AWS CodeConnections.
CONNECTION_ARN = re.compile(
    r"arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z]{2}(-[a-z]+)+-\d+:\d{12}:connection/[0-9a-f-]{36}"
)


def expand_environments(config: PodnetConfig) -> dict[str, PodnetConfig]:
    """Environment name -> its full configuration; without ``environments``, the base named after its cluster."""
    if config.environments is None:
        return {config.cluster_name: config}
    if not config.environments:
        raise ConfigError('environments is empty; add an environment (e.g. "dev": {}) or remove environments')
    base = _base_settings(config)
    expanded = {}
    for name, overrides in config.environments.items():
        if not ENVIRONMENT_NAME.fullmatch(name):
            raise ConfigError(
                f"environments: {name!r} is not a usable environment name; use 1-20 lowercase letters, digits or '-',"
                " starting with a letter"
            )
        for key in TOP_LEVEL_ONLY:
            if key in overrides:
                raise ConfigError(f"environments.{name}.{key}: only the top level can set {key}; move it there")
        with _in_environment(name):
            expanded[name] = parse_config(merge(base, overrides))
    return expanded


def _base_settings(config: PodnetConfig) -> dict[str, Any]:
    """The settings the base configuration sets, as written: a default (vpcCidr) stays unset in every environment,
    so rules about explicit settings (vpcCidr with existingVpc) see what the user wrote."""
    base = config.model_dump(mode="json", by_alias=True, exclude=set(TOP_LEVEL_ONLY), exclude_unset=True)
    existing = config.existing_vpc
    if existing is not None and config.availability_zones == tuple(existing.node_subnets):
        # Zones that repeat the base's nodeSubnets follow an environment's own existingVpc.
        base.pop("availabilityZones", None)
    return base


def validate_environments(config: PodnetConfig, environments: dict[str, PodnetConfig]) -> list[str]:
    """Validate every environment and the pipeline section; return the warnings, each naming its environment."""
    warnings = []
    for name, environment in environments.items():
        with _in_environment(name if config.environments is not None else None):
            found = validate(environment)
        prefix = f"environments.{name}: " if config.environments is not None else ""
        warnings += [prefix + warning for warning in found]
    _check_distinct_clusters(environments)
    if config.pipeline is not None:
        check_pipeline(config.pipeline, environments)
    return warnings


def check_pipeline(pipeline: PipelineConfig, environments: dict[str, PodnetConfig]) -> None:
    """The pipeline deploys every environment exactly once, to an explicit account, from a real connection."""
    if not REPOSITORY.fullmatch(pipeline.repository):
        raise ConfigError(f"pipeline.repository {pipeline.repository!r} is not owner/name; use e.g. my-org/podnet")
    if not CONNECTION_ARN.fullmatch(pipeline.connection_arn):
        raise ConfigError(
            f"pipeline.connectionArn {pipeline.connection_arn!r} is not a CodeConnections ARN; use"
            " arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections)"
        )
    if not ACCOUNT.fullmatch(pipeline.account):
        raise ConfigError(f"pipeline.account {pipeline.account!r} is not an AWS account id; use its 12 digits")
    check_region("pipeline.region", pipeline.region)
    defined = ", ".join(environments)
    seen: dict[str, int] = {}
    for index, wave in enumerate(pipeline.waves):
        if not wave:
            raise ConfigError(f"pipeline.waves[{index}] is empty; list at least one environment or remove the wave")
        for name in wave:
            if name not in environments:
                raise ConfigError(f"pipeline.waves[{index}]: unknown environment {name!r}; defined: {defined}")
            if name in seen:
                raise ConfigError(
                    f"pipeline.waves[{index}]: environment {name!r} is already in pipeline.waves[{seen[name]}];"
                    " deploy each environment in exactly one wave"
                )
            seen[name] = index
    missing = [name for name in environments if name not in seen]
    if missing:
        raise ConfigError(f"pipeline.waves: environment(s) {', '.join(missing)} in no wave; add each to one wave")
    for name in pipeline.approval_before:
        if name not in environments:
            raise ConfigError(f"pipeline.approvalBefore: unknown environment {name!r}; defined: {defined}")
    _check_approval_topic(pipeline)
    for name, environment in environments.items():
        if environment.account is None:
            raise ConfigError(
                f"environments.{name}.account is not set; the pipeline deploys to explicit accounts, so give each"
                " environment its 12-digit account id"
            )
        if environment.nodes.ami_release_version is None:
            raise ConfigError(
                f"environments.{name}.nodes.amiReleaseVersion is not set; a pipeline deploys one AMI release to every"
                ' environment, so pin it in the base "nodes" (e.g. "amiReleaseVersion": "v20260827")'
            )


def _check_approval_topic(pipeline: PipelineConfig) -> None:
    """Approvers are told through a topic of the pipeline's own account and region (CodePipeline publishes to it)."""
    topic = pipeline.approval_topic_arn
    if topic is None:
        if pipeline.approval_before:
            raise ConfigError(
                "pipeline.approvalTopicArn is not set; approvalBefore needs an SNS topic in the pipeline's account"
                " and region to notify approvers, e.g. arn:aws:sns:<region>:<account>:podnet-approvals"
            )
        return
    if not SNS_TOPIC_ARN.fullmatch(topic):
        raise ConfigError(f"pipeline.approvalTopicArn {topic!r} is not an SNS topic ARN; use arn:aws:sns:...")
    region, account = topic.split(":")[3:5]
    if (account, region) != (pipeline.account, pipeline.region):
        raise ConfigError(
            f"pipeline.approvalTopicArn {topic!r} is in {account}/{region}; use a topic in the pipeline's account and"
            f" region ({pipeline.account}/{pipeline.region})"
        )


def _check_distinct_clusters(environments: dict[str, PodnetConfig]) -> None:
    """Two environments in one account and region would fight over one EKS cluster name."""
    owners: dict[tuple[str | None, str, str], str] = {}
    for name, environment in environments.items():
        key = (environment.account, environment.region, environment.cluster_name)
        if key in owners:
            raise ConfigError(
                f"environments.{name}.clusterName {environment.cluster_name!r} is also environment"
                f" {owners[key]!r}'s cluster in the same account and region; give each environment its own clusterName"
            )
        owners[key] = name


@contextmanager
def _in_environment(name: str | None) -> Iterator[None]:
    """Re-raise a ConfigError with the setting prefixed by ``environments.<name>.`` (None: leave it as is)."""
    try:
        yield
    except ConfigError as error:
        if name is None:
            raise
        raise ConfigError(f"environments.{name}.{str(error).removeprefix('podnet: ')}") from None
