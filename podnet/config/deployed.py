"""The pod network as deployed: the cluster stack's ``CustomNetworking`` output, saved to a file.

A configuration says what should be deployed, not what is; whether a change deploys in one step depends on both.
"""

import json
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from podnet.config.errors import ConfigError

#: How to get the file (the stack name is ``<clusterName>-cluster``, or ``<environment>-<clusterName>-cluster``;
#: ``podnet stacks --cluster`` prints it), or to let podnet read it.
HOW_TO_GET = (
    "aws cloudformation describe-stacks --stack-name podnet-cluster --query"
    " \"Stacks[0].Outputs[?OutputKey=='CustomNetworking'].OutputValue\" --output text > deployed.json"
    " (or --deployed without FILE, with AWS credentials)"
)


@dataclass(frozen=True)
class DeployedPodNetwork:
    availability_zones: tuple[str, ...]
    #: podCidr first, then additionalPodCidrs.
    pod_cidrs: tuple[IPv4Network, ...]
    #: AZ -> pod subnet.
    pod_subnets: dict[str, IPv4Network]
    #: The output's ``podNetworking``; outputs written before the setting existed are custom networking.
    pod_networking: str = "custom-networking"


def read_deployed(path: Path) -> DeployedPodNetwork:
    """Parse a saved ``CustomNetworking`` output, or raise ConfigError saying how to get a good one."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigError(f"deployed file {path}: {reason}; save it with: {HOW_TO_GET}") from None
    return parse_deployed(text, f"deployed file {path}")


def parse_deployed(text: str | None, source: str) -> DeployedPodNetwork:
    """Parse a ``CustomNetworking`` output read from ``source`` (a file, a stack), or raise ConfigError."""
    if text is None:
        raise ConfigError(f"{source} has no CustomNetworking output; is it podnet's cluster stack?")
    try:
        document = json.loads(text)
        return DeployedPodNetwork(
            availability_zones=tuple(str(zone) for zone in document["availabilityZones"]),
            pod_cidrs=tuple(IPv4Network(block) for block in document["podCidrs"]),
            pod_subnets={str(zone): IPv4Network(entry["cidr"]) for zone, entry in document["podSubnets"].items()},
            pod_networking=str(document.get("podNetworking", "custom-networking")),
        )
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise ConfigError(
            f"{source} is not a CustomNetworking stack output ({error!r}); save it with: {HOW_TO_GET}"
        ) from None
