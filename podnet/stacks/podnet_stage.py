"""PodnetStage: one environment (network + cluster stacks) as a unit a pipeline wave can deploy."""

from typing import Any

from aws_cdk import Environment, Stage
from constructs import Construct

from podnet.config.model import PodnetConfig
from podnet.constructs.custom_networking_verifier import CustomNetworkingVerifier, verifier_role_names
from podnet.stacks.deployment import add_podnet_stacks


class PodnetStage(Stage):
    """The podnet stacks of one environment; the stage name prefixes their stack names (``dev-podnet-network``).

    With ``pipeline_account``, the cluster stack also gets the in-VPC custom-networking check that the pipeline
    runs after deploying this stage.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PodnetConfig,
        pipeline_account: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, env=Environment(account=config.account, region=config.region), **kwargs)
        self.config = config
        self.deployment = add_podnet_stacks(self, config)
        self.verifier: CustomNetworkingVerifier | None = None
        if pipeline_account is not None:
            if config.account is None:
                raise ValueError(f"stage {construct_id}: a pipeline deploys to explicit accounts; set account")
            trigger_role_name, step_role_name = verifier_role_names(config.account, config.region, config.cluster_name)
            self.verifier = CustomNetworkingVerifier(
                self.deployment.cluster,
                "CustomNetworkingVerifier",
                cluster=self.deployment.cluster.cluster,
                subnets=[self.deployment.cluster.node_subnets[zone] for zone in config.node_availability_zones],
                expected=self.deployment.cluster.custom_networking.value,
                pipeline_account=pipeline_account,
                trigger_role_name=trigger_role_name,
                step_role_name=step_role_name,
            )
