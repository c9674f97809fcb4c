#!/usr/bin/env python3
"""The podnet CDK app: ``cdk synth`` / ``cdk deploy`` entry point (see README.md).

Without ``environments`` the two stacks sit directly on the app (``podnet-network``, ``podnet-cluster``); with
``environments`` each is a Stage (``cdk deploy 'dev/*'``); with ``pipeline`` only the pipeline stack is
deployed by hand, and the pipeline deploys the environments.
"""

import sys
from pathlib import Path

from aws_cdk import App, Environment

from podnet.config import ConfigError, load_config
from podnet.config.environments import expand_environments, validate_environments
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY
from podnet.stacks.deployment import add_podnet_stacks
from podnet.stacks.pipeline_stack import PipelineStack
from podnet.stacks.podnet_stage import PodnetStage

REPO_ROOT = Path(__file__).resolve().parent


def pipeline_config_file(config_file: str | None) -> str | None:
    """The config file as the pipeline's CodeBuild sees it: relative to the repository root."""
    if not config_file:
        return None
    path = (REPO_ROOT / config_file).resolve()
    if not path.is_relative_to(REPO_ROOT):
        raise ConfigError(f"configFile {config_file} is outside the repository; the pipeline only sees committed files")
    return path.relative_to(REPO_ROOT).as_posix()


def main() -> int:
    app = App()
    context = {key: app.node.try_get_context(key) for key in (CONTEXT_KEY, CONFIG_FILE_CONTEXT_KEY)}
    try:
        config = load_config(context)
        environments = expand_environments(config)
        warnings = validate_environments(config, environments)
        config_file = pipeline_config_file(context[CONFIG_FILE_CONTEXT_KEY]) if config.pipeline else None
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"podnet: warning: {warning}", file=sys.stderr)
    if config.pipeline is not None:
        PipelineStack(
            app,
            f"{config.cluster_name}-pipeline",
            pipeline=config.pipeline,
            environments=environments,
            config_file=config_file,
            env=Environment(account=config.pipeline.account, region=config.pipeline.region),
            description=f"podnet {config.cluster_name}: deployment pipeline",
        )
    elif config.environments is None:
        add_podnet_stacks(app, config)
    else:
        for name, environment in environments.items():
            PodnetStage(app, name, config=environment)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
