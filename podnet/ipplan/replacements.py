"""What a change of subnets or blocks replaces, and which replacements CloudFormation cannot make in one update.

CloudFormation creates a replacement (or an added resource) before it deletes what it replaces, in the update's
cleanup phase. So a new subnet that overlaps one being deleted fails (InvalidSubnet.Conflict), and so does a new
VPC CIDR block that overlaps one being removed; a non-overlapping one deploys in one update.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

#: The smallest subnet Amazon VPC allows.
SMALLEST_PREFIX = 28


@dataclass(frozen=True)
class Replacement:
    """One key (a zone, or a block) whose network is added, moved or removed."""

    key: str
    before: IPv4Network | None
    after: IPv4Network | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "moved"


def replacements(before: Mapping[str, IPv4Network], after: Mapping[str, IPv4Network]) -> list[Replacement]:
    """Keys whose network differs: in ``after``'s order, then the removed ones in ``before``'s order."""
    changed = [Replacement(key, before.get(key), net) for key, net in after.items() if before.get(key) != net]
    return changed + [Replacement(key, net, None) for key, net in before.items() if key not in after]


@dataclass(frozen=True)
class Conflict:
    """A new network that overlaps a deleted one: CloudFormation would create it while the old one still exists."""

    new: Replacement
    old: Replacement


def conflicts(changes: Sequence[Replacement]) -> list[Conflict]:
    """Every new network (added or moved) that overlaps a network the same update deletes (moved or removed)."""
    found = []
    for new in changes:
        for old in changes:
            if new.after is not None and old.before is not None and new.after.overlaps(old.before):
                found.append(Conflict(new=new, old=old))
    return found


def free_block(
    within: Sequence[IPv4Network], taken: Iterable[IPv4Network], prefix: int = SMALLEST_PREFIX
) -> IPv4Network | None:
    """The largest block, no larger than /``prefix`` ... /28, inside ``within`` that overlaps nothing ``taken``."""
    used = list(taken)
    for size in range(prefix, SMALLEST_PREFIX + 1):
        for block in within:
            if block.prefixlen > size:
                continue
            for candidate in block.subnets(new_prefix=size):
                if not any(candidate.overlaps(other) for other in used):
                    return candidate
    return None
