"""One podnet deployment: the network stack (unless the VPC exists already) and the cluster stack."""

from dataclasses import dataclass

from aws_cdk import Environment, Tags
from constructs import Construct

from podnet.config.model import PodnetConfig
from podnet.config.stack_names import cluster_stack_id, network_stack_id
from podnet.stacks.cluster_stack import ClusterStack
from podnet.stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class Deployment:
    #: None with ``existingVpc``: podnet creates everything it adds to that VPC in the cluster stack.
    network: NetworkStack | None
    cluster: ClusterStack


def add_podnet_stacks(scope: Construct, config: PodnetConfig) -> Deployment:
    """Add the stacks to an App or Stage; explicit region and AZs, so synth needs no AWS lookups.

    With ``existingVpc`` there is no network stack: it would hold nothing (the pod network lives in the cluster
    stack), and CloudFormation refuses a template without resources.
    """
    env = Environment(account=config.account, region=config.region)
    name = config.cluster_name
    network = (
        NetworkStack(scope, network_stack_id(name), config=config, env=env, description=f"podnet {name}: VPC")
        if config.existing_vpc is None
        else None
    )
    cluster = ClusterStack(
        scope, cluster_stack_id(name), config=config, network=network, env=env, description=f"podnet {name}: EKS"
    )
    Tags.of(scope).add("podnet:cluster", name)
    return Deployment(network=network, cluster=cluster)
