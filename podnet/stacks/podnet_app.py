"""What app.py puts on the CDK App: the two stacks, one Stage per environment, or the pipeline.

Shared by app.py and the tests, so both synthesize the same thing. cdk-nag's AwsSolutions rules run over the
whole App on every synth: an unacknowledged finding fails it. Each construct acknowledges its own findings
(podnet/nag.py); tests/test_cdk_nag.py lists them all.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from podnet.config.environments import expand_environments, validate_environments
from podnet.config.errors import ConfigError
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, load_config
from podnet.config.model import PodnetConfig
from podnet.stacks.deployment import add_podnet_stacks


@dataclass(frozen=True)
class AppConfig:
    """A validated configuration with everything derived from it that the App needs."""

    base: PodnetConfig
    #: Environment name -> its full configuration (the base alone when there are no ``environments``).
    environments: dict[str, PodnetConfig]
    warnings: list[str]
    #: The configuration file relative to the repository root: what the pipeline's build checks out.
    config_file: str | None = None


def load_app_config(context: Mapping[str, Any], repo_root: Path) -> AppConfig:
    """Read and validate the configuration named by CDK context; raise ConfigError on the first mistake."""
    config = load_config(context)
    environments = expand_environments(config)
    warnings = validate_environments(config, environments)
    config_file = context.get(CONFIG_FILE_CONTEXT_KEY)
    relative = _relative_to_repo(config_file, repo_root) if config.pipeline and config_file else None
    return AppConfig(base=config, environments=environments, warnings=warnings, config_file=relative)


def _relative_to_repo(config_file: str, repo_root: Path) -> str:
    path = (repo_root / config_file).resolve()
    if not path.is_relative_to(repo_root):
        raise ConfigError(f"configFile {config_file} is outside the repository; the pipeline only sees committed files")
    return path.relative_to(repo_root).as_posix()


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
            f"{config.cluster_name}-pipeline",
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
