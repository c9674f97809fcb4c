"""The CloudFormation stacks a configuration makes, named exactly as app.py names them.

One place for the names, so the CDK app (podnet/stacks/), ``make deploy|diff|destroy ENVIRONMENT=...`` (the cdk
stack selection) and ``podnet usage`` / ``make verify`` (the deployed cluster stack) can never disagree.
"""

import re
from dataclasses import dataclass

from podnet.config.errors import ConfigError
from podnet.config.model import PodnetConfig

#: CloudFormation stack names: a letter, then letters, digits and '-', at most 128 characters.
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")


@dataclass(frozen=True)
class Stack:
    """One stack of a deployment."""

    #: The cdk CLI's name for it (its construct path): ``podnet-cluster``, or ``dev/podnet-cluster`` in a Stage.
    selector: str
    #: Its CloudFormation stack name: ``podnet-cluster``, or ``dev-podnet-cluster`` (the Stage name prefixes it).
    name: str
    region: str
    account: str | None


def network_stack_id(cluster_name: str) -> str:
    return f"{cluster_name}-network"


def cluster_stack_id(cluster_name: str) -> str:
    return f"{cluster_name}-cluster"


def pipeline_stack_id(cluster_name: str) -> str:
    return f"{cluster_name}-pipeline"


def deployment_stacks(config: PodnetConfig, environment: str | None = None) -> list[Stack]:
    """The stacks of one deployment, in deploy order: ``config`` is the environment's merged configuration when
    ``environment`` names one (its Stage prefixes the names), the whole configuration otherwise."""
    ids = [cluster_stack_id(config.cluster_name)]
    if config.existing_vpc is None:
        ids.insert(0, network_stack_id(config.cluster_name))
    return [
        Stack(
            selector=f"{environment}/{stack_id}" if environment else stack_id,
            name=f"{environment}-{stack_id}" if environment else stack_id,
            region=config.region,
            account=config.account,
        )
        for stack_id in ids
    ]


def check_stack_names(config: PodnetConfig, environment: str | None = None) -> None:
    """Every stack name the configuration makes is one CloudFormation accepts: an EKS cluster name may hold '_' or
    start with a digit, a stack name may not, and synth would otherwise fail deep inside the CDK."""
    for stack in deployment_stacks(config, environment):
        if not STACK_NAME.fullmatch(stack.name):
            raise ConfigError(
                f"clusterName {config.cluster_name!r} makes the CloudFormation stack name {stack.name!r}, and stack"
                " names allow only letters, digits and '-', starting with a letter (at most 128); use e.g."
                f" {_suggest(config.cluster_name)!r}"
            )


def _suggest(cluster_name: str) -> str:
    plain = re.sub(r"[^A-Za-z0-9-]", "-", cluster_name)
    return plain if plain[:1].isalpha() else f"eks-{plain}"
