"""``podnet plan --format svg``: the address plan drawn to scale, one bar per VPC block.

Within a bar every subnet sits at its real offset with its real size, so the free space left in each block shows
as what it is. Every subnet is labelled with its zone, CIDR and usable addresses: inside its box when the label
fits, else on a line of its own under the bar, with a leader to the box.
"""

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, collapse_addresses

from podnet.diagrams import svg
from podnet.ipplan.carving import usable_ips
from podnet.plan import Plan

WIDTH = 1000
MARGIN = 20
BAR = WIDTH - 2 * MARGIN
BAR_HEIGHT = 58
LINE = 14
FILL = {"public": "#cfe3f7", "node": "#cdebc5", "pod": "#fbd9b0", "free": "url(#free)"}
PURPOSE = {"public": "public subnet", "node": "node subnet", "pod": "pod subnet"}


@dataclass(frozen=True)
class Segment:
    """A stretch of a block: a subnet of the plan, or free space (``kind`` "free", no zone)."""

    kind: str
    first: int
    last: int
    zone: str = ""
    cidr: str = ""

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def label(self) -> list[str]:
        if self.kind == "free":
            first, last = IPv4Address(self.first), IPv4Address(self.last)
            return ["free", f"{first} - {last}", f"{self.size:,} addresses"]
        ips = usable_ips(IPv4Network(self.cidr))
        return [f"{PURPOSE[self.kind]} {self.zone}", self.cidr, f"{ips:,} {'pod IPs' if self.kind == 'pod' else 'IPs'}"]


def plan_svg(plan: Plan) -> str:
    """The plan as an SVG document."""
    pods = ", ".join(str(block) for block in (plan.pod_cidr, *plan.additional_pod_cidrs))
    title = f"IP plan of cluster {plan.cluster_name}"
    body = [svg.text(MARGIN, 26, title, size=16, weight="bold")]
    body.append(
        svg.text(
            MARGIN,
            44,
            f"pods in {pods}; serviceCidr {plan.service_cidr} (outside the VPC); pod capacity at maxSize"
            f" {plan.max_size}: {plan.pod_capacity:,}",
        )
    )
    y = 62.0
    for index in range(len(plan.vpc_blocks)):
        y = _block(body, y, plan, index)
    x = float(MARGIN)
    for kind in ("public", "node", "pod", "free"):
        body.append(svg.rect(x, y, 14, 12, FILL[kind]))
        name = "free space" if kind == "free" else PURPOSE[kind]
        body.append(svg.text(x + 19, y + 10, name))
        x += 40 + svg.text_width(name, 11)
    body.append(
        svg.text(MARGIN, y + 32, "Each bar is one VPC block to scale: a subnet's width is its share of the block.")
    )
    return svg.document(WIDTH, y + 44, title, body)


def _block(body: list[str], y: float, plan: Plan, index: int) -> float:
    """Draw one block's caption, bar and labels from ``y``; return where the next block starts."""
    block = plan.vpc_blocks[index]
    role = _role(plan, block.cidr, index)
    body.append(
        svg.text(
            MARGIN, y + 14, f"{block.cidr}  {role}  ({block.cidr.num_addresses:,} addresses)", size=12, weight="bold"
        )
    )
    top = y + 22
    segments = _segments(plan, block.cidr)
    if not block.new:
        body.append(svg.rect(MARGIN, top, BAR, BAR_HEIGHT, "#eeeeee", title=str(block.cidr)))
        body.append(
            svg.text(MARGIN + 8, top + 34, "an existing block: its subnets are not in the configuration, so not drawn")
        )
        return top + BAR_HEIGHT + 24
    scale = BAR / block.cidr.num_addresses
    base = int(block.cidr.network_address)
    callouts: list[tuple[float, list[str]]] = []
    for segment in segments:
        x = MARGIN + (segment.first - base) * scale
        width = segment.size * scale
        lines = segment.label()
        body.append(svg.rect(x, top, width, BAR_HEIGHT, FILL[segment.kind], title=" ".join(lines)))
        if max(svg.text_width(text, 11) for text in lines) + 8 <= width:
            for row, text in enumerate(lines):
                body.append(svg.text(x + width / 2, top + 18 + row * LINE, text, anchor="middle"))
        else:
            callouts.append((x + width / 2, lines))
    # Right to left, each label on the first row where it ends before that row's leftmost label starts: a leader
    # line then only passes rows whose labels start to its right.
    y = top + BAR_HEIGHT + 4
    starts: list[float] = []  # per row, where its leftmost label starts
    for x, lines in sorted(callouts, reverse=True):
        label = "  ".join(lines)
        start = max(float(MARGIN), min(x - 4, WIDTH - MARGIN - svg.text_width(label, 11)))
        end = start + svg.text_width(label, 11)
        row = next((r for r, first in enumerate(starts) if end + 12 <= first), len(starts))
        if row == len(starts):
            starts.append(start)
        starts[row] = min(starts[row], start)
        label_y = y + 12 + row * LINE
        body.append(svg.line(x, top + BAR_HEIGHT, x, label_y - 9))
        body.append(svg.text(start, label_y, label))
    return y + len(starts) * LINE + 22


def _role(plan: Plan, cidr: IPv4Network, index: int) -> str:
    if cidr == plan.pod_cidr:
        return "podCidr"
    if cidr in plan.additional_pod_cidrs:
        return "additionalPodCidrs"
    if plan.vpc_id is None:
        return "vpcCidr, primary"
    return f"existing block of {plan.vpc_id}" + (", primary" if index == 0 else "")


def _segments(plan: Plan, block: IPv4Network) -> list[Segment]:
    """The plan's subnets inside ``block`` and the free stretches between them, in address order."""
    subnets = [
        Segment(kind, int(cidr.network_address), int(cidr.broadcast_address), zone.name, str(cidr))
        for zone in plan.zones
        for kind, cidr in (("public", zone.public_subnet), ("node", zone.node_subnet), ("pod", zone.pod_subnet))
        if cidr is not None and cidr.subnet_of(block)
    ]
    used = [IPv4Network(segment.cidr) for segment in subnets]
    free = collapse_addresses(
        network for network in _exclude_all(block, used) if not any(network.overlaps(u) for u in used)
    )
    merged: list[Segment] = []
    for network in free:
        first, last = int(network.network_address), int(network.broadcast_address)
        if merged and merged[-1].last + 1 == first:
            merged[-1] = Segment("free", merged[-1].first, last)
        else:
            merged.append(Segment("free", first, last))
    return sorted([*subnets, *merged], key=lambda segment: segment.first)


def _exclude_all(block: IPv4Network, used: list[IPv4Network]) -> list[IPv4Network]:
    """``block`` minus every network of ``used``, as networks."""
    remaining = [block]
    for subnet in used:
        remaining = [
            part
            for network in remaining
            for part in (network.address_exclude(subnet) if subnet.subnet_of(network) else [network])
        ]
    return remaining
