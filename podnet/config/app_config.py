"""The configuration a synth works from: read from CDK context, validated, one per environment.

Pure configuration code, kept apart from the stacks: app.py's import thread loads it with the rest of the
configuration (podnet/stacks/pure_imports.py) while Node.js loads the CDK packages.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podnet.config.environments import expand_environments, validate_environments
from podnet.config.errors import ConfigError
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, load_config
from podnet.config.model import PodnetConfig


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
