"""Pure preflight checks: configuration values and API answers (boto3 response shapes) in, results out.

Each result is one line naming the setting and, when it fails, the fix.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any, Literal

from podnet.config.model import ExistingVpcConfig
from podnet.ipplan.ami_releases import release_date, release_of_image_name

#: Zone ids EKS does not accept for control-plane subnets (EKS user guide, network-reqs: "Subnet requirements").
#: Zone *names* map to different ids in every account, so only DescribeAvailabilityZones can tell.
EKS_REFUSED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
#: Service Quotas code of "EC2-VPC Elastic IPs" (service code ec2): one address per NAT gateway.
ELASTIC_IP_QUOTA = ("ec2", "L-0263D0A3")

Status = Literal["pass", "fail", "skip"]
#: The VPC CNI's subnet discovery tag (v1.22.4 pkg/awsutils/awsutils.go): 0 excludes a subnet from pod ENIs.
SUBNET_DISCOVERY_TAG = "kubernetes.io/role/cni"


@dataclass(frozen=True)
class Result:
    """One check of one setting; ``message`` starts with the setting and, on failure, says the fix."""

    check: str
    setting: str
    status: Status
    message: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "setting": self.setting, "status": self.status, "message": self.message}


def check_zones(zones: Sequence[str], region: str, availability_zones: Sequence[Mapping[str, Any]]) -> list[Result]:
    """Every configured zone is a standard, available AZ of the region that EKS accepts for control-plane subnets.

    ``availability_zones``: DescribeAvailabilityZones' ``AvailabilityZones``.
    """
    by_name = {zone["ZoneName"]: zone for zone in availability_zones}
    usable = [name for name, zone in sorted(by_name.items()) if _usable_for_eks(zone) and name not in zones]
    alternatives = f"use one of {', '.join(usable)}" if usable else "remove it"
    results = []
    for name in zones:
        zone = by_name.get(name)
        if zone is None:
            message = f"{name} is not an Availability Zone of {region} in this account; {alternatives}"
        elif zone.get("ZoneType", "availability-zone") != "availability-zone":
            message = f"{name} is a {zone['ZoneType']}, not an Availability Zone EKS can use; {alternatives}"
        elif zone.get("State") != "available":
            message = f"{name} is {zone.get('State')}; {alternatives}"
        elif zone.get("ZoneId") in EKS_REFUSED_ZONE_IDS:
            message = (
                f"{name} is {zone['ZoneId']} in this account, a zone EKS does not accept for control-plane subnets;"
                f" {alternatives}"
            )
        else:
            results.append(_passed("zones", "availabilityZones", f"{name} ({zone['ZoneId']}) is available to EKS"))
            continue
        results.append(_failed("zones", "availabilityZones", message))
    return results


def check_instance_types(
    instance_types: Sequence[str], node_zones: Sequence[str], offerings: Sequence[Mapping[str, Any]]
) -> list[Result]:
    """Every instance type is offered in every zone that gets nodes.

    ``offerings``: DescribeInstanceTypeOfferings' ``InstanceTypeOfferings`` with LocationType availability-zone.
    """
    offered = {(o["InstanceType"], o["Location"]) for o in offerings if o.get("LocationType") == "availability-zone"}
    results = []
    for instance_type in instance_types:
        missing = [zone for zone in node_zones if (instance_type, zone) not in offered]
        if missing:
            results.append(
                _failed(
                    "instance-types",
                    "nodes.instanceTypes",
                    f"{instance_type} is not offered in {', '.join(missing)}; remove it from nodes.instanceTypes"
                    " (or those zones from the configuration)",
                )
            )
        else:
            results.append(
                _passed("instance-types", "nodes.instanceTypes", f"{instance_type} is offered in every node zone")
            )
    return results


def check_elastic_ips(
    nat_gateways: int, quota: float | None, addresses: Sequence[Mapping[str, Any]], quota_problem: str = ""
) -> Result:
    """Enough Elastic IPs are free for the NAT gateways podnet creates (each takes one).

    ``quota``: GetServiceQuota's ``Quota.Value`` for L-0263D0A3, None when the quota API did not answer
    (``quota_problem`` says why); ``addresses``: DescribeAddresses' ``Addresses`` (VPC domain).
    """
    if nat_gateways == 0:
        return _passed("elastic-ips", "natGateways", "podnet creates no NAT gateway, so it needs no Elastic IP")
    if quota is None:
        return Result(
            "elastic-ips",
            "natGateways",
            "skip",
            f"natGateways: not checked, the Service Quotas API did not answer ({quota_problem}); make sure"
            f" {nat_gateways} Elastic IPs are free (quota {ELASTIC_IP_QUOTA[1]}, {len(addresses)} in use)",
        )
    limit = int(quota)
    free = limit - len(addresses)
    if free >= nat_gateways:
        return _passed(
            "elastic-ips",
            "natGateways",
            f"{nat_gateways} NAT gateways need {nat_gateways} Elastic IPs; {free} of {limit} are free",
        )
    lower = f", or set natGateways to {free}" if free >= 1 else ""
    return _failed(
        "elastic-ips",
        "natGateways",
        f"{nat_gateways} NAT gateways need {nat_gateways} Elastic IPs but only {max(free, 0)} of the region's"
        f" {limit} are free ({len(addresses)} in use); release unused addresses or request a higher"
        f" {ELASTIC_IP_QUOTA[1]} quota (EC2-VPC Elastic IPs){lower}",
    )


def check_existing_vpc(
    existing: ExistingVpcConfig,
    pod_blocks: Mapping[str, IPv4Network],
    region: str,
    vpcs: Sequence[Mapping[str, Any]],
    subnets: Sequence[Mapping[str, Any]],
    route_tables: Sequence[Mapping[str, Any]],
) -> list[Result]:
    """The VPC podnet adds ``podCidr`` (and any ``additionalPodCidrs``) to is as configured, and AWS will accept
    each association.

    ``pod_blocks``: setting (``podCidr``, ``additionalPodCidrs[0]``, ...) -> block; ``vpcs``: DescribeVpcs for the
    id; ``subnets``: DescribeSubnets for the node subnet ids; ``route_tables``: every route table of the VPC plus the
    configured ones (DescribeRouteTables).
    """
    vpc = next((v for v in vpcs if v["VpcId"] == existing.vpc_id), None)
    if vpc is None:
        return [
            _failed(
                "existing-vpc",
                "existingVpc.vpcId",
                f"{existing.vpc_id} does not exist in {region} (or is not visible to these credentials); set"
                " existingVpc.vpcId to your VPC's id in this region",
            )
        ]
    associated = sorted(
        (
            IPv4Network(block["CidrBlock"])
            for block in vpc.get("CidrBlockAssociationSet", [])
            if block.get("CidrBlockState", {}).get("State") in ("associated", "associating")
        ),
        key=lambda n: (int(n.network_address), n.prefixlen),
    )
    results = [_check_blocks(existing, associated)]
    results += [_check_pod_cidr_free(existing.vpc_id, s, block, associated) for s, block in pod_blocks.items()]
    results += _check_node_subnets(existing, subnets, route_tables)
    results += [_check_route_destinations(existing.vpc_id, s, block, route_tables) for s, block in pod_blocks.items()]
    return results


def _check_blocks(existing: ExistingVpcConfig, associated: list[IPv4Network]) -> Result:
    if set(existing.cidr_blocks) == set(associated):
        return _passed("existing-vpc", "existingVpc.cidrBlocks", "match the VPC's associated blocks")
    return _failed(
        "existing-vpc",
        "existingVpc.cidrBlocks",
        f"{', '.join(map(str, existing.cidr_blocks)) or 'none'} given but {existing.vpc_id} has"
        f" {', '.join(map(str, associated))}; set existingVpc.cidrBlocks to exactly those",
    )


def _check_pod_cidr_free(vpc_id: str, setting: str, pod_cidr: IPv4Network, associated: list[IPv4Network]) -> Result:
    if pod_cidr in associated:
        return _failed(
            "existing-vpc",
            setting,
            f"{pod_cidr} is already associated with {vpc_id}, and podnet associates {setting} itself; choose a block"
            " the VPC does not have yet",
        )
    overlapping = [block for block in associated if block.overlaps(pod_cidr)]
    if overlapping:
        return _failed(
            "existing-vpc",
            setting,
            f"{pod_cidr} overlaps {', '.join(map(str, overlapping))}, already associated with {vpc_id}; choose a"
            " block that overlaps none of the VPC's blocks",
        )
    return _passed("existing-vpc", setting, f"{pod_cidr} is not associated with {vpc_id} yet")


def _check_node_subnets(
    existing: ExistingVpcConfig, subnets: Sequence[Mapping[str, Any]], route_tables: Sequence[Mapping[str, Any]]
) -> list[Result]:
    subnet_by_id = {s["SubnetId"]: s for s in subnets}
    table_by_id = {t["RouteTableId"]: t for t in route_tables}
    results = []
    for zone, node in existing.node_subnets.items():
        setting = f"existingVpc.nodeSubnets.{zone}"
        subnet = subnet_by_id.get(node.subnet_id)
        table = table_by_id.get(node.route_table_id)
        uses = _route_table_of(node.subnet_id, existing.vpc_id, route_tables)
        if subnet is None:
            problem = f"subnetId {node.subnet_id} does not exist; set the id of your node subnet in {zone}"
        elif subnet.get("VpcId") != existing.vpc_id:
            problem = (
                f"subnetId {node.subnet_id} is in {subnet.get('VpcId')}, not {existing.vpc_id}; use a subnet of that"
                " VPC"
            )
        elif subnet.get("AvailabilityZone") != zone:
            problem = (
                f"subnetId {node.subnet_id} is in {subnet.get('AvailabilityZone')}, not {zone}; use a subnet in {zone}"
                " (or list it under its own zone)"
            )
        elif table is None:
            problem = f"routeTableId {node.route_table_id} does not exist; set the route table {node.subnet_id} uses"
        elif table.get("VpcId") != existing.vpc_id:
            problem = f"routeTableId {node.route_table_id} is in {table.get('VpcId')}, not {existing.vpc_id}"
        elif uses is not None and uses != node.route_table_id:
            problem = (
                f"{node.subnet_id} uses route table {uses}, not {node.route_table_id}; set routeTableId to {uses} so"
                " the pod subnet routes like the node subnet"
            )
        else:
            results.append(
                _passed("existing-vpc", setting, f"{node.subnet_id} and {node.route_table_id} are in {zone}")
            )
            continue
        results.append(_failed("existing-vpc", setting, problem))
    return results


def check_node_subnets_excluded(existing: ExistingVpcConfig, subnets: Sequence[Mapping[str, Any]]) -> list[Result]:
    """With podNetworking subnet-discovery, each existing node subnet carries ``kubernetes.io/role/cni=0``, so the
    VPC CNI never gives pods its routable IPs (podnet cannot tag subnets it does not own).

    ``subnets``: DescribeSubnets' ``Subnets`` for the node subnets.
    """
    subnet_by_id = {s["SubnetId"]: s for s in subnets}
    results = []
    for zone, node in existing.node_subnets.items():
        setting = f"existingVpc.nodeSubnets.{zone}"
        subnet = subnet_by_id.get(node.subnet_id)
        if subnet is None:
            continue  # _check_node_subnets reports a missing subnet
        tags = {tag["Key"]: tag["Value"] for tag in subnet.get("Tags", [])}
        if tags.get(SUBNET_DISCOVERY_TAG) == "0":
            results.append(_passed("subnet-discovery", setting, f"{node.subnet_id} is tagged {SUBNET_DISCOVERY_TAG}=0"))
            continue
        found = "untagged" if SUBNET_DISCOVERY_TAG not in tags else f"tagged {tags[SUBNET_DISCOVERY_TAG]}"
        results.append(
            _failed(
                "subnet-discovery",
                setting,
                f"{node.subnet_id} is {found} for {SUBNET_DISCOVERY_TAG}, so pods would take its routable IPs; run"
                f" aws ec2 create-tags --resources {node.subnet_id} --tags Key={SUBNET_DISCOVERY_TAG},Value=0",
            )
        )
    return results


def _route_table_of(subnet_id: str, vpc_id: str, route_tables: Sequence[Mapping[str, Any]]) -> str | None:
    """The table a subnet uses: its explicit association, else the VPC's main table (None if unknown)."""
    main = None
    for table in route_tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return str(table["RouteTableId"])
            if association.get("Main") and table.get("VpcId") == vpc_id:
                main = str(table["RouteTableId"])
    return main


def _check_route_destinations(
    vpc_id: str, setting: str, pod_cidr: IPv4Network, route_tables: Sequence[Mapping[str, Any]]
) -> Result:
    """AWS refuses to associate a block that equals or contains a route destination of the VPC's route tables
    (Amazon VPC user guide, "VPC CIDR blocks": with a route to 10.0.0.0/24, 10.0.0.0/24 and larger blocks that
    contain it cannot be associated; 10.0.0.0/25 can)."""
    blocking = []
    for table in route_tables:
        if table.get("VpcId") != vpc_id:
            continue
        for route in table.get("Routes", []):
            destination = route.get("DestinationCidrBlock")
            if not destination or route.get("GatewayId") == "local":
                continue
            network = IPv4Network(destination)
            if network.subnet_of(pod_cidr):
                target = next((str(v) for k, v in route.items() if k.endswith("Id") and v), "?")
                blocking.append(f"{network} -> {target} in {table['RouteTableId']}")
    if blocking:
        return _failed(
            "existing-vpc",
            setting,
            f"{pod_cidr} contains the route destination(s) {'; '.join(blocking)}, and AWS cannot associate a block"
            f" that equals or contains a route destination; choose for {setting} a block that contains none"
            " (a smaller or different one)",
        )
    return _passed("existing-vpc", setting, f"no route destination in {vpc_id} blocks associating {pod_cidr}")


def check_ami_release(
    *,
    release: str,
    pinned_by_podnet: bool,
    kubernetes_version: str,
    arch: str,
    region: str,
    release_exists: bool,
    recommended_image_name: str | None,
    roll: str,
) -> Result:
    """The nodes' AMI release exists in the region, and whether EKS recommends a newer one (and what moving rolls).

    ``release_exists``: the release's ``image_id`` parameter was found; ``recommended_image_name``: ``image_name`` of
    the ``recommended`` parameter's JSON value, None when there is none.
    """
    setting = "nodes.amiReleaseVersion"
    source = "podnet's pinned release" if pinned_by_podnet else "the configured release"
    if not release_exists:
        return _failed(
            "ami-release",
            setting,
            f"{source} {release} has no AL2023 {arch} AMI for Kubernetes {kubernetes_version} in {region}; set"
            f" {setting} to a release amazon-eks-ami published for it",
        )
    newer = None if recommended_image_name is None else release_of_image_name(recommended_image_name)
    if newer is None:
        return Result(
            "ami-release",
            setting,
            "skip",
            f"{setting}: {source} {release} exists in {region}; EKS names no recommended release to compare with",
        )
    if release_date(newer) <= release_date(release):
        return _passed("ami-release", setting, f"{source} {release} is EKS's recommended release or newer")
    return _passed(
        "ami-release",
        setting,
        f"{source} {release} runs; EKS recommends the newer {newer} ({recommended_image_name}). Setting {setting}"
        f" to {newer} rolls every node on the next deploy: {roll}",
    )


def _passed(check: str, setting: str, message: str) -> Result:
    return Result(check, setting, "pass", f"{setting}: {message}")


def _failed(check: str, setting: str, message: str) -> Result:
    return Result(check, setting, "fail", f"{setting}: {message}")


def _usable_for_eks(zone: Mapping[str, Any]) -> bool:
    return (
        zone.get("ZoneType", "availability-zone") == "availability-zone"
        and zone.get("State") == "available"
        and zone.get("ZoneId") not in EKS_REFUSED_ZONE_IDS
    )
