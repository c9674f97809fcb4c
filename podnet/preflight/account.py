"""Read what the preflight checks need from the account, with boto3 (read-only calls only).

Errors that mean "could not check" (no credentials, access denied, no connection) become CannotRun with one line
saying what to do; any other API answer is data for the checks.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

from podnet.config.model import ExistingVpcConfig, PodnetConfig
from podnet.ipplan.ami_releases import recommended_parameter, release_image_parameter
from podnet.ipplan.architecture import architecture
from podnet.preflight.checks import (
    ELASTIC_IP_QUOTA,
    Result,
    check_ami_release,
    check_elastic_ips,
    check_existing_vpc,
    check_instance_types,
    check_node_subnets_excluded,
    check_zones,
)

if TYPE_CHECKING:
    from boto3 import Session
    from mypy_boto3_ec2 import EC2Client

#: AWS error codes that mean these credentials may not make the call (or are no credentials at all).
DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "OptInRequired",
    }
)


class CannotRun(Exception):
    """The checks could not run; the message is one line with the fix."""


@dataclass(frozen=True)
class Target:
    """What one deployment asks of its account, as plain values (see :func:`target_of`)."""

    region: str
    account: str | None
    zones: tuple[str, ...]
    node_zones: tuple[str, ...]
    instance_types: tuple[str, ...]
    nat_gateways: int
    #: Setting (``podCidr``, ``additionalPodCidrs[0]``, ...) -> the block podnet associates.
    pod_blocks: dict[str, IPv4Network]
    existing_vpc: ExistingVpcConfig | None
    kubernetes_version: str
    arch: str
    #: The nodes' AMI release, and whether podnet pinned it (no nodes.amiReleaseVersion).
    ami_release: str
    ami_pinned_by_podnet: bool
    #: What a roll of every node takes (podnet plan's estimate), for the newer-release message.
    roll: str
    #: podNetworking subnet-discovery: the existing node subnets must be tagged to be excluded.
    subnet_discovery: bool = False


def target_of(config: PodnetConfig) -> Target:
    """The values of a configuration the checks need."""
    existing = config.existing_vpc
    zones = tuple(config.availability_zones)
    if existing is not None:
        zones += tuple(zone for zone in existing.node_subnets if zone not in zones)
    if existing is not None:
        nat_gateways = 0  # the existing VPC brings its own egress; podnet creates no NAT gateway there
    elif config.nat_gateways is None:
        nat_gateways = len(config.availability_zones)
    else:
        nat_gateways = int(config.nat_gateways)
    return Target(
        region=config.region,
        account=config.account,
        zones=zones,
        node_zones=tuple(config.node_availability_zones),
        instance_types=tuple(config.nodes.instance_types),
        nat_gateways=nat_gateways,
        pod_blocks={
            "podCidr": IPv4Network(config.pod_cidr),
            **{
                f"additionalPodCidrs[{index}]": IPv4Network(block)
                for index, block in enumerate(config.additional_pod_cidrs)
            },
        },
        existing_vpc=existing,
        kubernetes_version=config.kubernetes_version,
        arch=architecture(config.nodes.instance_types[0]),
        ami_release=config.node_ami_release,
        ami_pinned_by_podnet=config.nodes.ami_release_version is None,
        roll=config.node_roll_estimate.summary(),
        subnet_discovery=config.pod_networking == "subnet-discovery",
    )


def run_checks(target: Target, session: "Session") -> tuple[str, list[Result]]:
    """The caller's account id and every check's result; raise CannotRun when the account cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        account = session.client("sts", region_name=target.region).get_caller_identity()["Account"]
        if target.account is not None and account != target.account:
            raise CannotRun(
                f"podnet: the credentials are for account {account} but the configuration's account is"
                f" {target.account}; use credentials for {target.account} (AWS_PROFILE, aws sso login)"
            )
        return account, _checks(target, session)
    except NoCredentialsError:
        raise CannotRun(
            "podnet: no AWS credentials found; configure them (aws configure, aws sso login or AWS_PROFILE) and run"
            " podnet preflight again"
        ) from None
    except NoRegionError:
        raise CannotRun("podnet: no AWS region; set region in the configuration") from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        operation = error.operation_name
        if code in DENIED:
            raise CannotRun(
                f"podnet: access denied for {operation} ({code}); preflight needs read-only access (sts:"
                "GetCallerIdentity, ec2:Describe*, servicequotas:GetServiceQuota, ssm:GetParameter): use credentials"
                " that have it"
            ) from None
        raise CannotRun(f"podnet: AWS answered {code} to {operation}: {_first_line(error)}") from None
    except BotoCoreError as error:
        raise CannotRun(f"podnet: cannot reach AWS: {_first_line(error)}; check the network and try again") from None


def _checks(target: Target, session: "Session") -> list[Result]:
    ec2 = session.client("ec2", region_name=target.region)
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    results = check_zones(target.zones, target.region, zones)
    offerings = [
        offering
        for page in ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone",
            Filters=[
                {"Name": "instance-type", "Values": list(target.instance_types)},
                {"Name": "location", "Values": list(target.node_zones)},
            ],
        )
        for offering in page["InstanceTypeOfferings"]
    ]
    results += check_instance_types(target.instance_types, target.node_zones, offerings)
    results.append(_elastic_ips(target, session, ec2))
    if target.existing_vpc is not None:
        results += _existing_vpc(target, target.existing_vpc, ec2)
    results.append(_ami_release(target, session))
    return results


def _ami_release(target: Target, session: "Session") -> Result:
    """Read the release's own parameter and the ``recommended`` one (EKS publishes both in every region it serves)."""
    from botocore.exceptions import ClientError

    ssm = session.client("ssm", region_name=target.region)

    def value(name: str) -> str | None:
        try:
            found = ssm.get_parameter(Name=name)["Parameter"].get("Value")
            return found if isinstance(found, str) else None
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise

    exists = value(release_image_parameter(target.kubernetes_version, target.arch, target.ami_release)) is not None
    recommended = value(recommended_parameter(target.kubernetes_version, target.arch))
    image_name = None
    if recommended is not None:
        try:
            image_name = json.loads(recommended).get("image_name")
        except (ValueError, AttributeError):
            image_name = None
    return check_ami_release(
        release=target.ami_release,
        pinned_by_podnet=target.ami_pinned_by_podnet,
        kubernetes_version=target.kubernetes_version,
        arch=target.arch,
        region=target.region,
        release_exists=exists,
        recommended_image_name=image_name if isinstance(image_name, str) else None,
        roll=target.roll,
    )


def _elastic_ips(target: Target, session: "Session", ec2: "EC2Client") -> Result:
    from botocore.exceptions import ClientError

    if target.nat_gateways == 0:
        return check_elastic_ips(0, None, [])
    addresses = ec2.describe_addresses(Filters=[{"Name": "domain", "Values": ["vpc"]}])["Addresses"]
    quotas = session.client("service-quotas", region_name=target.region)
    service, code = ELASTIC_IP_QUOTA
    try:
        quota = quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"].get("Value")
    except ClientError as error:
        return check_elastic_ips(
            target.nat_gateways, None, addresses, error.response.get("Error", {}).get("Code", "error")
        )
    return check_elastic_ips(target.nat_gateways, quota, addresses, "no value")


def _existing_vpc(target: Target, existing: ExistingVpcConfig, ec2: "EC2Client") -> list[Result]:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [existing.vpc_id]}])["Vpcs"]
    subnet_ids = [node.subnet_id for node in existing.node_subnets.values()]
    subnets = ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": subnet_ids}])["Subnets"]
    tables = _route_tables(ec2, [{"Name": "vpc-id", "Values": [existing.vpc_id]}])
    stated = [node.route_table_id for node in existing.node_subnets.values()]
    known = {t["RouteTableId"] for t in tables}
    if set(stated) - known:
        tables += _route_tables(ec2, [{"Name": "route-table-id", "Values": sorted(set(stated) - known)}])
    results = check_existing_vpc(existing, target.pod_blocks, target.region, vpcs, subnets, tables)
    if target.subnet_discovery:
        results += check_node_subnets_excluded(existing, subnets)
    return results


def _route_tables(ec2: "EC2Client", filters: Sequence[Any]) -> list[Any]:
    pages = ec2.get_paginator("describe_route_tables").paginate(Filters=list(filters))
    return [table for page in pages for table in page["RouteTables"]]


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
