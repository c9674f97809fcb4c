"""The ``podnet`` command: max pods per instance type, the IP plan of a configuration, live pod-IP usage.

It imports no aws-cdk-lib (only ``podnet.config`` and ``podnet.ipplan``), so it answers in a fraction of a
second, without node or a synth. ``max-pods`` does not even load pydantic: ``plan`` imports the
configuration code when it runs, ``usage`` boto3.
"""

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podnet.ipplan.eni_limits import eni_limits, lookup
from podnet.ipplan.max_pods import MaxPodsMode, max_pods
from podnet.preflight import command as preflight

if TYPE_CHECKING:
    from podnet.config.model import PodnetConfig
    from podnet.plan import Plan, ZonePlan

DEFAULT_CAP = 110
DEFAULT_MIN_FREE_PERCENT = 20
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
        " overridden by --config, validate it and print the IP plan; with environments, one plan per environment.",
    )
    plan.add_argument("--config", metavar="FILE", help="JSON or YAML settings overriding cdk.json's context")
    plan.add_argument("--environment", metavar="NAME", help="plan only this environment's merged configuration")
    plan.add_argument(
        "--deployed",
        metavar="FILE",
        help="the cluster stack's CustomNetworking output, saved to a file: say whether the pod network change"
        " deploys in one step, and refuse one that cannot (with environments, name the deployed one with"
        " --environment)",
    )
    plan.add_argument(
        "--format",
        choices=("table", "json", "svg"),
        default="table",
        help="svg: the address plan drawn to scale (one picture per environment with environments: name one)",
    )
    plan.set_defaults(run=_plan)
    preflight.add_parser(commands)

    usage = commands.add_parser(
        "usage",
        help="free pod IPs per zone of a deployed cluster",
        description="Read a cluster stack's CustomNetworking output and its pod subnets' free IPs (AWS credentials"
        " from the usual places). Exit 0: every zone has at least --min-free-percent free; 1: one has less;"
        " 2: the report could not be made.",
    )
    usage.add_argument("--stack", required=True, help="podnet's cluster stack, e.g. podnet-cluster")
    usage.add_argument("--region", help="default: AWS_REGION, then your AWS profile's region")
    usage.add_argument("--format", choices=("table", "json"), default="table")
    usage.add_argument(
        "--min-free-percent", type=_percent, default=DEFAULT_MIN_FREE_PERCENT, metavar="N", help="default: %(default)s"
    )
    usage.set_defaults(run=_usage)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number; use --no-cap for no ceiling")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage; use a number from 0 to 100")
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
        if args.custom_networking and limits.enis < 2:
            print(
                f"podnet: {name} has {limits.enis} ENI, and custom networking leaves the primary ENI without pods, so"
                " no pod gets a pod-subnet IP on it; use a type with at least two ENIs (--no-custom-networking for"
                " the VPC CNI default)",
                file=sys.stderr,
            )
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
    from podnet.plan import make_plans

    cdk_json = Path("cdk.json")
    try:
        context = read_cdk_json_context(cdk_json) if cdk_json.exists() else {}
        config = load_config(context, args.config)
        if args.environment is not None:
            _check_environment(config, args.environment)
        elif args.deployed and config.environments is not None:
            raise ConfigError("--deployed FILE is the pod network of one environment; name it with --environment NAME")
        if args.format == "svg" and config.environments is not None and args.environment is None:
            raise ConfigError("--format svg draws one plan; name the environment with --environment NAME")
        deployed = read_deployed(Path(args.deployed)) if args.deployed else None
        plans = make_plans(config, environment=args.environment, deployed=deployed)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    if config.environments is None or args.environment is not None:
        (plan,) = plans.values()
        print(_render(plan, args.format))
    elif args.format == "json":
        print(json.dumps({"environments": {name: plan.to_dict() for name, plan in plans.items()}}, indent=2))
    else:
        print("\n\n".join(f"environment {name}\n{_table(plan)}" for name, plan in plans.items()))
    if args.format == "table" and deployed is None:
        print(DAY_TWO_NOTE)
    return 0


def _render(plan: "Plan", output_format: str) -> str:
    if output_format == "svg":
        from podnet.diagrams.plan_svg import plan_svg

        return plan_svg(plan)
    return plan.to_json() if output_format == "json" else _table(plan)


def _check_environment(config: "PodnetConfig", name: str) -> None:
    from podnet.config.errors import ConfigError

    if config.environments is None:
        raise ConfigError(f"--environment {name}: the configuration has no environments; leave --environment out")
    if name not in config.environments:
        raise ConfigError(f"--environment {name}: no such environment; defined: {', '.join(config.environments)}")


def _usage(args: argparse.Namespace) -> int:
    from podnet.usage import UsageError, read_usage  # loads boto3: only this command pays for it

    try:
        usage = read_usage(args.stack, args.region)
    except UsageError as error:
        print(f"podnet: {error}", file=sys.stderr)
        return 2
    print(usage.to_json() if args.format == "json" else usage.to_table(args.min_free_percent))
    return 1 if usage.below(args.min_free_percent) else 0


def _pod_subnets(zone: "ZonePlan") -> str:
    """A zone's pod subnets, first one first ("-" without one)."""
    return " + ".join(str(cidr) for cidr in zone.pod_subnets) or "-"


def _table(plan: "Plan") -> str:
    rows: list[tuple[str, ...]]
    pod_cidrs = f"podCidr {plan.pod_cidr}" + "".join(f" + {block}" for block in plan.additional_pod_cidrs)
    if plan.vpc_id is None:
        rows = [("zone", "public subnet", "node subnet", "pod subnet", "pod IPs")]
        rows += [
            (zone.name, str(zone.public_subnet), str(zone.node_subnet), _pod_subnets(zone), str(zone.pod_ips))
            for zone in plan.zones
        ]
        rows.append(("total", "", "", "", str(plan.pod_ips)))
        header = f"cluster {plan.cluster_name}: vpcCidr {plan.vpc_cidr}, {pod_cidrs}, serviceCidr {plan.service_cidr}"
    else:
        rows = [("zone", "node subnet (existing)", "pod subnet", "pod IPs")]
        rows += [(zone.name, str(zone.node_subnet_id), _pod_subnets(zone), str(zone.pod_ips)) for zone in plan.zones]
        rows.append(("total", "", "", str(plan.pod_ips)))
        blocks = ", ".join(f"{block.cidr} ({'new' if block.new else 'existing'})" for block in plan.vpc_blocks)
        header = (
            f"cluster {plan.cluster_name}: existing VPC {plan.vpc_id}, {pod_cidrs},"
            f" serviceCidr {plan.service_cidr}\nVPC blocks: {blocks}"
        )
    groups = [("node group", "min", "desired", "max", "on-demand", "pods/node", "warm IPs/node", "pod capacity")]
    groups += [
        (
            group.zone,
            str(group.min_size),
            "auto" if group.desired_size is None else str(group.desired_size),
            str(group.max_size),
            str(group.on_demand_base_capacity),
            str(group.max_pods),
            str(group.warm_pool_ips),
            str(group.pod_capacity),
        )
        for group in plan.node_groups
    ]
    groups.append(
        (
            "total",
            str(sum(group.min_size for group in plan.node_groups)),
            "auto" if plan.autoscaler else str(sum(group.desired_size or 0 for group in plan.node_groups)),
            str(sum(group.max_size for group in plan.node_groups)),
            str(sum(group.on_demand_base_capacity for group in plan.node_groups)),
            "",
            "",
            str(plan.pod_capacity),
        )
    )
    scaling = (
        "the Cluster Autoscaler sets each group's size between its min and max"
        if plan.autoscaler
        else "fixed sizes (nodes.autoscaler is false)"
    )
    capacity = (
        f"pod capacity at maxSize {plan.max_size}: {plan.pod_capacity}"
        f" (per group, the min of its max nodes x pods per node and its zone's pod IPs less each node's warm IPs)"
    )
    types = [("instance type", "max pods"), *((t.name, str(t.max_pods)) for t in plan.instance_types)]
    lines = [header, "", *_columns(rows), "", *_columns(types), ""]
    mode = f"pod networking: {plan.pod_networking}" + (", prefix delegation" if plan.prefix_delegation else "")
    subnets = "" if plan.node_subnet_ips is None else f", node subnets {plan.node_subnet_ips:,} usable"
    routable = (
        f"routable IPs: primary block {plan.vpc_cidr} ({plan.vpc_cidr.num_addresses:,} addresses){subnets};"
        f" nodes at maxSize use {plan.routable_ips_used} (one each), pods use the {plan.pod_ips:,} pod IPs"
    )
    lines += [f"nodes: one spot group per zone; {scaling}", *_columns(groups), "", capacity, mode, routable]
    lines += [
        f"node roll (a new AMI release, now {plan.ami_release}, or CNI settings): every group in turn, the system nodes"
        f" first, at most {plan.roll_budget} node(s) at once, each replacement counted once its node is Ready",
        f"roll estimate at maxSize, system nodes included: {plan.roll.summary()}",
    ]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    if plan.changes is not None:
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
