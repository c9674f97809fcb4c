"""Checks of the pod network's own settings (prefix reservations, CNI add-on, warm pools, pod networking mode), kept
apart from the general validation so each can be read on its own."""

from podnet.config.model import PodnetConfig
from podnet.ipplan.prefixes import EDGE_FREE_IPS


def prefix_reservation_warnings(config: PodnetConfig) -> list[str]:
    """With prefix delegation every aligned /28 of a pod subnet is reserved for prefixes, so pod ENIs take their
    primary IPs from the 27 addresses of the edge /28s: warn where a zone's nodes at maxSize may need more."""
    if not config.prefix_delegation:
        return []
    return [
        f"prefixDelegation: up to {needed} pod ENIs in {zone} at maxSize (one per ENI beyond a node's first, for the"
        f" type with most ENIs) need a primary IP each, but the pod subnet's prefix reservation leaves {EDGE_FREE_IPS}"
        f" addresses for them; lower nodes.maxSize or run fewer zones' nodes per pod subnet"
        for zone, needed in config.pod_eni_primary_ips.items()
        if needed > EDGE_FREE_IPS
    ]
