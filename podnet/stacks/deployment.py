"""One podnet deployment: the network stack and the cluster stack that builds on it."""

from dataclasses import dataclass

from aws_cdk import Environment, Tags
from constructs import Construct

from podnet.config.model import PodnetConfig
from podnet.stacks.cluster_stack import ClusterStack
from podnet.stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class Deployment:
    network: NetworkStack
    cluster: ClusterStack


def add_podnet_stacks(scope: Construct, config: PodnetConfig) -> Deployment:
    """Add both stacks to an App or Stage; explicit region and AZs, so synth needs no AWS lookups."""
    env = Environment(account=config.account, region=config.region)
    name = config.cluster_name
    network = NetworkStack(scope, f"{name}-network", config=config, env=env, description=f"podnet {name}: VPC")
    cluster = ClusterStack(
        scope, f"{name}-cluster", config=config, network=network, env=env, description=f"podnet {name}: EKS"
    )
    Tags.of(scope).add("podnet:cluster", name)
    return Deployment(network=network, cluster=cluster)
