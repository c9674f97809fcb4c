"""Cross-setting rules: everything AWS would reject at deploy time, or accept and leave pods hanging.

``validate`` raises ConfigError (one line: the setting and the fix) or returns warnings to print.
"""

from podnet.config.errors import ConfigError
from podnet.config.model import PodnetConfig
from podnet.ipplan.eni_limits import lookup


def validate(config: PodnetConfig) -> list[str]:
    """Check the configuration; return the warnings (synth goes on), raise ConfigError on an error."""
    for instance_type in config.nodes.instance_types:
        limits = lookup(instance_type)
        if limits is None:
            raise ConfigError(
                f"nodes.instanceTypes: unknown instance type '{instance_type}'; use one the VPC CNI knows"
                " (podnet max-pods TYPE checks it)"
            )
    nodes = config.nodes
    if not nodes.min_size <= nodes.desired_size <= nodes.max_size:
        raise ConfigError(
            f"nodes: need minSize <= desiredSize <= maxSize (got {nodes.min_size}, {nodes.desired_size},"
            f" {nodes.max_size}); adjust the sizes"
        )
    return []
