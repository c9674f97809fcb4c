"""The pod network as deployed: the cluster stack's ``CustomNetworking`` output, saved to a file.

A configuration says what should be deployed, not what is; whether a change deploys in one step depends on both.
"""

import json
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from podnet.config.errors import ConfigError

#: How to get the file (the stack name is ``<clusterName>-cluster``, or ``<environment>-<clusterName>-cluster``).
HOW_TO_GET = (
    "aws cloudformation describe-stacks --stack-name podnet-cluster --query"
    " \"Stacks[0].Outputs[?OutputKey=='CustomNetworking'].OutputValue\" --output text > deployed.json"
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
        document = json.loads(path.read_text())
        return DeployedPodNetwork(
            availability_zones=tuple(str(zone) for zone in document["availabilityZones"]),
            pod_cidrs=tuple(IPv4Network(block) for block in document["podCidrs"]),
            pod_subnets={str(zone): IPv4Network(entry["cidr"]) for zone, entry in document["podSubnets"].items()},
            pod_networking=str(document.get("podNetworking", "custom-networking")),
        )
    except OSError as error:
        raise ConfigError(f"deployed file {path}: {error.strerror}; save it with: {HOW_TO_GET}") from None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise ConfigError(
            f"deployed file {path} is not a CustomNetworking stack output ({error!r}); save it with: {HOW_TO_GET}"
        ) from None
