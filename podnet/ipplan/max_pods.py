"""Kubelet max pods: the field guide's formulas, and the same formula as a nodeadm CEL expression.

Every default (eni-max-pods.txt, nodeadm's own computation) ignores custom networking, where the primary
ENI hosts no pods; a node then advertises more pods than it can address and the extra ones hang in
ContainerCreating. podnet computes the number itself, and hands nodeadm a ``maxPodsExpression`` so the
value is exact per instance type and kube-reserved memory is sized for it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from podnet.ipplan.eni_limits import EniLimits
from podnet.ipplan.prefixes import PREFIX_SIZE

#: kubelet's own pods on host networking (aws-node, kube-proxy) that take no VPC address.
HOST_NETWORK_PODS = 2


@dataclass(frozen=True)
class MaxPodsMode:
    """How the VPC CNI hands out pod addresses on a node."""

    custom_networking: bool = True
    prefix_delegation: bool = False
    cap: int | None = 110


def max_pods(limits: EniLimits, mode: MaxPodsMode) -> int:
    """Pods a node of this type can really run in this mode."""
    enis = limits.enis - 1 if mode.custom_networking else limits.enis
    per_eni = (limits.ips_per_eni - 1) * (PREFIX_SIZE if mode.prefix_delegation else 1)
    uncapped = enis * per_eni + HOST_NETWORK_PODS
    return uncapped if mode.cap is None else min(uncapped, mode.cap)


def smallest_max_pods(limits: Iterable[EniLimits], mode: MaxPodsMode) -> int:
    """Pods every node of a mixed group can run, whichever of its types the spot pool hands out."""
    return min(max_pods(type_limits, mode) for type_limits in limits)


def max_pods_expression(mode: MaxPodsMode) -> str:
    """The same formula in CEL over nodeadm's variables ``default_enis`` and ``ips_per_eni``.

    CEL has no min(), so the cap is a ternary.
    """
    enis = "(default_enis - 1)" if mode.custom_networking else "default_enis"
    per_eni = f"((ips_per_eni - 1) * {PREFIX_SIZE})" if mode.prefix_delegation else "(ips_per_eni - 1)"
    uncapped = f"{enis} * {per_eni} + {HOST_NETWORK_PODS}"
    if mode.cap is None:
        return uncapped
    return f"{uncapped} > {mode.cap} ? {mode.cap} : {uncapped}"
