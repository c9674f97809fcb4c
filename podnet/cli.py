"""The ``podnet`` command: max pods per instance type and the IP plan of a configuration.

It imports no aws-cdk-lib (only ``podnet.config`` and ``podnet.ipplan``), so it answers in a fraction of a
second, without node or a synth. ``max-pods`` does not even load pydantic: ``plan`` imports the
configuration code when it runs.
"""

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podnet.ipplan.eni_limits import eni_limits, lookup
from podnet.ipplan.max_pods import MaxPodsMode, max_pods

if TYPE_CHECKING:
    from podnet.plan import Plan

DEFAULT_CAP = 110
DAY_TWO_NOTE = (
    "note: a pod subnet for a listed zone, a move to a subnet that does not overlap the current one, and a new"
    " block in additionalPodCidrs each deploy in one step (the nodes roll); a pod subnet or block that overlaps the"
    " one it replaces needs two deploys, and availabilityZones stay as first deployed. Check a change with"
    " --deployed FILE (the cluster stack's CustomNetworking output)."
)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status (0 ok, 1 configuration or input error, 2 usage error)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help and usage errors; report the status instead
        return int(exit_.code or 0)
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="podnet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    pods = commands.add_parser(
        "max-pods",
        help="pods a node of each instance type can run",
        description="Print 'TYPE MAXPODS' per type. Default: custom networking on, no prefix delegation, cap 110.",
    )
    pods.add_argument("instance_types", nargs="+", metavar="TYPE", help="EC2 instance type, e.g. m5.large")
    pods.add_argument("--prefix-delegation", action="store_true", help="/28 prefixes per ENI slot (Nitro only)")
    pods.add_argument(
        "--no-custom-networking",
        dest="custom_networking",
        action="store_false",
        help="pods on the primary ENI too (the VPC CNI default, not how podnet nodes run)",
    )
    cap = pods.add_mutually_exclusive_group()
    cap.add_argument("--cap", type=_positive, default=DEFAULT_CAP, help=f"ceiling on max pods (default {DEFAULT_CAP})")
    cap.add_argument("--no-cap", dest="cap", action="store_const", const=None, help="no ceiling: the ENI limit")
    pods.set_defaults(run=_max_pods)

    plan = commands.add_parser(
        "plan",
        help="subnets, max pods and pod capacity of the configuration",
        description="Read cdk.json's 'podnet' context in the current folder (defaults without one), optionally"
        " overridden by --config, validate it and print the IP plan.",
    )
    plan.add_argument("--config", metavar="FILE", help="JSON or YAML settings overriding cdk.json's context")
    plan.add_argument(
        "--deployed",
        metavar="FILE",
        help="the cluster stack's CustomNetworking output, saved to a file: say whether the pod network change"
        " deploys in one step, and refuse one that cannot",
    )
    plan.add_argument("--format", choices=("table", "json"), default="table")
    plan.set_defaults(run=_plan)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number; use --no-cap for no ceiling")
    return value


def _max_pods(args: argparse.Namespace) -> int:
    known = []
    for name in args.instance_types:
        limits = lookup(name)
        if limits is None:
            close = difflib.get_close_matches(name, eni_limits(), n=1)
            hint = f"did you mean {close[0]}?" if close else "the VPC CNI's ENI table does not list it"
            print(f"podnet: unknown instance type '{name}'; {hint}", file=sys.stderr)
            return 1
        known.append(limits)
    mode = MaxPodsMode(custom_networking=args.custom_networking, prefix_delegation=args.prefix_delegation, cap=args.cap)
    for limits in known:
        print(limits.instance_type, max_pods(limits, mode))
    return 0


def _plan(args: argparse.Namespace) -> int:
    from podnet.config.deployed import read_deployed
    from podnet.config.errors import ConfigError
    from podnet.config.loading import load_config, read_cdk_json_context
    from podnet.plan import make_plan

    cdk_json = Path("cdk.json")
    try:
        context = read_cdk_json_context(cdk_json) if cdk_json.exists() else {}
        deployed = read_deployed(Path(args.deployed)) if args.deployed else None
        plan = make_plan(load_config(context, args.config), deployed)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(plan.to_json() if args.format == "json" else _table(plan))
    return 0


def _table(plan: "Plan") -> str:
    rows = [("zone", "public subnet", "node subnet", "pod subnet", "pod IPs")]
    rows += [
        (zone.name, str(zone.public_subnet), str(zone.node_subnet), str(zone.pod_subnet or "-"), str(zone.pod_ips))
        for zone in plan.zones
    ]
    rows.append(("total", "", "", "", str(plan.pod_ips)))
    additional = "".join(f" + {block}" for block in plan.additional_pod_cidrs)
    header = (
        f"cluster {plan.cluster_name}: vpcCidr {plan.vpc_cidr}, podCidr {plan.pod_cidr}{additional},"
        f" serviceCidr {plan.service_cidr}"
    )
    capacity = (
        f"pod capacity at maxSize {plan.max_size}: {plan.pod_capacity}"
        f" (min of {plan.pod_ips} pod IPs and {plan.max_size} nodes x {plan.smallest_max_pods} pods)"
    )
    types = [("instance type", "max pods"), *((t.name, str(t.max_pods)) for t in plan.instance_types)]
    lines = [header, "", *_columns(rows), "", *_columns(types), "", capacity]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    if plan.changes is None:
        lines.append(DAY_TWO_NOTE)
    else:
        lines += [f"change: {change}" for change in plan.changes] or ["change: none to the pod network"]
    return "\n".join(lines)


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns, numbers (the last column) right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True)), row[-1].rjust(widths[-1])]
        )
        for row in rows
    ]
