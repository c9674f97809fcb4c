"""What app.py puts on the CDK App: the two stacks, one Stage per environment, or the pipeline.

Shared by app.py and the tests, so both synthesize the same thing. cdk-nag's AwsSolutions rules run over the
whole App on every synth: an unacknowledged finding fails it. Each construct acknowledges its own findings
(podnet/nag.py); tests/test_cdk_nag.py lists them all.
"""

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from podnet.config.app_config import AppConfig
from podnet.config.stack_names import pipeline_stack_id
from podnet.stacks.deployment import add_podnet_stacks


def build_app(app: App, app_config: AppConfig) -> None:
    """Without ``environments`` the stacks sit on the App (``podnet-network``, none with ``existingVpc``, and
    ``podnet-cluster``); with them each environment is a Stage (``cdk deploy 'dev/*'``); with ``pipeline`` only the
    pipeline stack is deployed by hand."""
    config = app_config.base
    # Pipeline and Stage modules are imported only when used: CodeBuild, CodePipeline and CDK Pipelines are large
    # modules, and loading them would slow down every default synth.
    if config.pipeline is not None:
        from podnet.stacks.pipeline_stack import PipelineStack

        PipelineStack(
            app,
            pipeline_stack_id(config.cluster_name),
            pipeline=config.pipeline,
            environments=app_config.environments,
            config_file=app_config.config_file,
            env=Environment(account=config.pipeline.account, region=config.pipeline.region),
            description=f"podnet {config.cluster_name}: deployment pipeline",
        )
    elif config.environments is None:
        add_podnet_stacks(app, config)
    else:
        from podnet.stacks.podnet_stage import PodnetStage

        for name, environment in app_config.environments.items():
            PodnetStage(app, name, config=environment)
    Validations.of(app).add_plugins(AwsSolutionsChecks())
