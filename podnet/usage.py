"""``podnet usage``: free pod IPs per zone of a deployed cluster, for people (a table) and scripts (JSON, exit code).

It reads the cluster stack's ``CustomNetworking`` output (pod subnet per zone) and asks EC2 how many addresses of
each subnet no ENI holds (``AvailableIpAddressCount``: the VPC CNI's warm pools count as used). AWS settings come
from the usual places (profiles, ``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``, SSO). Only this command
imports this module, so the others do not pay for loading boto3.
"""

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from podnet.ipplan.carving import usable_ips

#: Error codes AWS answers when the caller lacks a permission (CloudFormation and IAM-style, EC2-style).
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
#: Error codes AWS answers when it does not accept the credentials themselves.
BAD_CREDENTIALS = {
    "AuthFailure",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
PERMISSIONS = "cloudformation:DescribeStacks and ec2:DescribeSubnets (sts:GetCallerIdentity with an account)"


#: What to check when a stack named on the command line is not found.
STACK_HINT = "check --stack and --region"


class UsageError(Exception):
    """The report could not be made (credentials, region, stack, permissions): one line saying what to do."""


@dataclass(frozen=True)
class ZoneUsage:
    """One pod subnet, as EC2 reports it now."""

    name: str
    subnet_id: str
    cidr: IPv4Network
    free: int

    @property
    def total(self) -> int:
        """Usable addresses: the subnet's size less the five AWS reserves."""
        return usable_ips(self.cidr)

    @property
    def free_percent(self) -> float:
        return 100 * self.free / self.total


@dataclass(frozen=True)
class Usage:
    """Free pod IPs of one cluster stack, zone by zone in the order of its output."""

    stack: str
    region: str
    cluster: str | None
    zones: tuple[ZoneUsage, ...]

    def below(self, min_free_percent: float) -> list[ZoneUsage]:
        """Zones with less than ``min_free_percent`` of their usable IPs free."""
        return [zone for zone in self.zones if zone.free_percent < min_free_percent]

    def to_json(self) -> str:
        return json.dumps(
            {
                "cluster": self.cluster,
                "zones": [
                    {
                        "name": zone.name,
                        "subnetId": zone.subnet_id,
                        "cidr": str(zone.cidr),
                        "total": zone.total,
                        "free": zone.free,
                        "freePercent": round(zone.free_percent, 1),
                    }
                    for zone in self.zones
                ],
            },
            indent=2,
        )

    def to_table(self, min_free_percent: float) -> str:
        rows = [("zone", "subnet", "cidr", "total", "free", "free %")]
        rows += [
            (z.name, z.subnet_id, str(z.cidr), str(z.total), str(z.free), f"{z.free_percent:.1f}") for z in self.zones
        ]
        lines = [f"cluster {self.cluster or '?'} (stack {self.stack}, {self.region}): free pod IPs per zone", ""]
        lines += _columns(rows, numeric_from=3)
        lines += [
            f"warning: {zone.name} has {zone.free_percent:.1f}% of its pod IPs free, below {min_free_percent:g}%"
            for zone in self.below(min_free_percent)
        ]
        return "\n".join(lines)


def read_usage(stack: str, region: str | None, account: str | None = None, *, hint: str = STACK_HINT) -> Usage:
    """Ask CloudFormation and EC2; raise UsageError with one line when that is not possible (``hint``: what to check
    when the stack is not there)."""
    session = _session(region)
    outputs = read_stack_outputs(stack, region, account, session=session, hint=hint)
    pod_subnets = _pod_subnets(stack, outputs)
    with _one_line_errors(stack, session, hint):
        found = session.client("ec2").describe_subnets(SubnetIds=[subnet_id for _, subnet_id in pod_subnets])
    subnets = {subnet["SubnetId"]: subnet for subnet in found["Subnets"]}
    zones = tuple(
        ZoneUsage(
            name=zone,
            subnet_id=subnet_id,
            cidr=IPv4Network(subnets[subnet_id]["CidrBlock"]),
            free=subnets[subnet_id]["AvailableIpAddressCount"],
        )
        for zone, subnet_id in pod_subnets
    )
    return Usage(stack=stack, region=str(session.region_name), cluster=outputs.get("ClusterName"), zones=zones)


def read_stack_outputs(
    stack: str,
    region: str | None,
    account: str | None = None,
    *,
    session: boto3.Session | None = None,
    hint: str = STACK_HINT,
) -> dict[str, str]:
    """A deployed stack's outputs (key -> value). ``account``: refuse credentials of another account, whose
    "stack not found" would hide that the wrong profile is in use."""
    session = session or _session(region)
    with _one_line_errors(stack, session, hint):
        if account is not None:
            caller = session.client("sts").get_caller_identity()["Account"]
            if caller != account:
                raise UsageError(
                    f"the AWS credentials are for account {caller}, but the configuration deploys {stack} to account"
                    f" {account}; use credentials for {account} (AWS_PROFILE, aws sso login)"
                )
        (description,) = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output.get("OutputValue", "") for output in description.get("Outputs", [])}


def _session(region: str | None) -> boto3.Session:
    try:
        # boto3 reads AWS_DEFAULT_REGION and profiles; AWS_REGION (what the AWS CLI and Lambda set) wins over them.
        session = boto3.Session(region_name=region or os.environ.get("AWS_REGION") or None)
    except BotoCoreError as error:  # e.g. AWS_PROFILE names no profile
        raise UsageError(f"{_one_line(str(error))}; check AWS_PROFILE and your AWS config file") from None
    if session.region_name is None:
        raise UsageError("no AWS region: pass --region, set AWS_REGION or give your AWS profile a region")
    return session


@contextmanager
def _one_line_errors(stack: str, session: boto3.Session, hint: str) -> Iterator[None]:
    """AWS's exceptions as one UsageError line that says what to do."""
    try:
        yield
    except NoCredentialsError:
        raise UsageError(
            "no AWS credentials found: configure a profile (aws configure, aws sso login) and set AWS_PROFILE,"
            " or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except ClientError as error:
        raise UsageError(_describe(error, stack, str(session.region_name), hint)) from None
    except BotoCoreError as error:  # e.g. an endpoint that does not exist: a region name AWS does not have
        raise UsageError(f"cannot reach AWS in {session.region_name}: {_one_line(str(error))}") from None


def _pod_subnets(stack: str, outputs: dict[str, str]) -> list[tuple[str, str]]:
    """(zone, subnet id) from the CustomNetworking output, in its order."""
    if "CustomNetworking" not in outputs:
        raise UsageError(
            f"stack {stack} has no CustomNetworking output; pass podnet's cluster stack (<clusterName>-cluster)"
        )
    try:
        document: Any = json.loads(outputs["CustomNetworking"])
        pairs = [(str(zone), str(subnet["subnetId"])) for zone, subnet in document["podSubnets"].items()]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise UsageError(
            f"stack {stack}'s CustomNetworking output is not podnet's (podCidr and podSubnets); pass podnet's"
            " cluster stack"
        ) from None
    if not pairs:
        raise UsageError(f"stack {stack}'s CustomNetworking output lists no pod subnets")
    return pairs


def _describe(error: ClientError, stack: str, region: str, hint: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    message = _one_line(error.response.get("Error", {}).get("Message", ""))
    if code == "ValidationError" and "does not exist" in message:
        return f"stack {stack} not found in {region}; {hint}"
    if code in ACCESS_DENIED:
        return f"access denied to {error.operation_name} in {region}: podnet usage needs {PERMISSIONS} ({message})"
    if code in BAD_CREDENTIALS:
        return f"AWS rejected the credentials ({code}): refresh them (aws sso login, aws configure) or pick a profile"
    return f"{error.operation_name} failed in {region}: {code}: {message}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _columns(rows: Sequence[Sequence[str]], numeric_from: int) -> list[str]:
    """Left-aligned text columns, right-aligned numbers (columns from ``numeric_from`` on)."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(width) if column >= numeric_from else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
