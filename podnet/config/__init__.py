"""The one configuration object shared by the CDK app and the ``podnet`` CLI."""

from podnet.config.errors import ConfigError
from podnet.config.loading import load_config
from podnet.config.model import NodesConfig, PodnetConfig

__all__ = ["ConfigError", "NodesConfig", "PodnetConfig", "load_config"]
