"""The ``podnet preflight`` subcommand: exit 0 all checks pass, 1 a check failed, 2 the checks could not run."""

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podnet.preflight.checks import Result

FAILED = 1
CANNOT_RUN = 2


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    preflight = commands.add_parser(
        "preflight",
        help="read-only checks of the AWS account before a deploy",
        description="Check, with your AWS credentials and read-only calls, what the account must allow before a"
        " deploy: zones (and the zone ids EKS refuses), instance types offered in every node zone, free Elastic IPs"
        " for the NAT gateways, and with existingVpc the VPC, its blocks, subnets, route tables and routes."
        " Exit 0: all pass; 1: a check failed; 2: the checks could not run.",
    )
    preflight.add_argument("--config", metavar="FILE", help="JSON or YAML settings overriding cdk.json's context")
    preflight.add_argument("--environment", metavar="NAME", help="check this environment (default: every one)")
    preflight.add_argument("--format", choices=("table", "json"), default="table")
    preflight.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from podnet.config.environments import expand_environments
    from podnet.config.errors import ConfigError
    from podnet.config.loading import load_config, read_cdk_json_context
    from podnet.config.validation import validate

    cdk_json = Path("cdk.json")
    try:
        context = read_cdk_json_context(cdk_json) if cdk_json.exists() else {}
        config = load_config(context, args.config)
        environments = expand_environments(config)
        if args.environment is not None:
            if args.environment not in environments:
                print(
                    f"podnet: --environment {args.environment}: no such environment; defined:"
                    f" {', '.join(environments)}",
                    file=sys.stderr,
                )
                return CANNOT_RUN
            environments = {args.environment: environments[args.environment]}
        elif config.pipeline is not None:
            print(
                "podnet: the pipeline deploys the environments with their own accounts' credentials; run podnet"
                " preflight --environment NAME with each environment's credentials",
                file=sys.stderr,
            )
            return 0
        for environment in environments.values():
            validate(environment)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return FAILED
    return _check(environments, named=config.environments is not None, output=args.format)


def _check(environments: dict[str, Any], *, named: bool, output: str) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError

    from podnet.preflight.account import CannotRun, run_checks, target_of

    reports = []
    for name, config in environments.items():
        target = target_of(config)
        try:
            session = boto3.Session(region_name=target.region)
        except BotoCoreError as error:  # e.g. AWS_PROFILE names a profile the AWS config files do not have
            print(
                f"podnet: {' '.join(str(error).split())}; check AWS_PROFILE and your AWS config file", file=sys.stderr
            )
            return CANNOT_RUN
        try:
            account, results = run_checks(target, session)
        except CannotRun as error:
            print(error, file=sys.stderr)
            return CANNOT_RUN
        prefix = f"environments.{name}." if named else ""
        reports.append((name, account, target.region, config.cluster_name, _prefixed(results, prefix)))
    results = [result for *_, found in reports for result in found]
    if output == "json":
        print(
            json.dumps(
                {
                    "passed": all(r.status != "fail" for r in results),
                    "deployments": [
                        {
                            "environment": n,
                            "account": a,
                            "region": r,
                            "clusterName": c,
                            "checks": [x.to_json() for x in f],
                        }
                        for n, a, r, c, f in reports
                    ],
                },
                indent=2,
            )
        )
    else:
        for name, account, region, cluster, found in reports:
            print(f"preflight of {cluster} ({name}) in account {account}, {region}:")
            print("\n".join(f"{result.status.upper():4}  {result.message}" for result in found))
        failed = sum(r.status == "fail" for r in results)
        skipped = sum(r.status == "skip" for r in results)
        summary = f"{failed} of {len(results)} checks failed" if failed else f"all {len(results) - skipped} checks pass"
        print(summary + (f" ({skipped} not checked)" if skipped else ""))
    return FAILED if any(r.status == "fail" for r in results) else 0


def _prefixed(results: "list[Result]", prefix: str) -> "list[Result]":
    from dataclasses import replace

    return [replace(r, setting=prefix + r.setting, message=prefix + r.message) for r in results] if prefix else results
