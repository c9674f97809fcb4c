"""Publish each pod subnet's free IPs to CloudWatch: there is no built-in per-subnet metric to alarm on.

Run on a schedule. ``DescribeSubnets`` reports ``AvailableIpAddressCount``: addresses no ENI holds, so the VPC
CNI's warm pools count as used, which is what running out means for a new pod. Per pod subnet it publishes
``FreePodIps`` and ``FreePodIpPercent`` (dimensions ClusterName, AvailabilityZone, SubnetId) and, once per run,
``PodSubnetsReported`` (dimension ClusterName) as a heartbeat: a failed run publishes nothing at all.

With prefix delegation pods get whole aligned /28s only, so a subnet's pod IPs (``POD_IPS``, from podnet's plan)
are fewer than its usable addresses: the addresses outside the prefixes (the edge /28s, ENI primary IPs) are
taken out of the free count as if all of them were free, so ``FreePodIps`` never overstates what pods can get.

Environment: ``CLUSTER_NAME``, ``METRIC_NAMESPACE``, ``POD_SUBNETS`` (JSON: zone -> subnet id) and ``POD_IPS``
(JSON: zone -> pod IPs of its subnet).
"""

import json
import os
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef, MetricDatumTypeDef

FREE_IPS = "FreePodIps"
FREE_PERCENT = "FreePodIpPercent"
SUBNETS_REPORTED = "PodSubnetsReported"
CLUSTER = "ClusterName"
ZONE = "AvailabilityZone"
SUBNET = "SubnetId"
#: AWS keeps the first four addresses and the last one of every subnet.
RESERVED_IPS_PER_SUBNET = 5


def handler(event: object, context: object) -> dict[str, Any]:
    """Read the pod subnets, publish their metrics in one call, and return what was published (for the log)."""
    import boto3  # the Lambda runtime provides it; imported here so the CDK app can read the names above cheaply

    cluster = os.environ["CLUSTER_NAME"]
    pod_subnets: dict[str, str] = json.loads(os.environ["POD_SUBNETS"])
    pod_ips: dict[str, int] = json.loads(os.environ["POD_IPS"])
    # A missing subnet fails the whole call (InvalidSubnetID.NotFound): the run publishes nothing, which the
    # heartbeat alarm reports.
    found = boto3.client("ec2").describe_subnets(SubnetIds=list(pod_subnets.values()))["Subnets"]
    subnets = {subnet["SubnetId"]: subnet for subnet in found}
    metric_data: list[MetricDatumTypeDef] = []
    report = {}
    for zone, subnet_id in pod_subnets.items():
        subnet = subnets[subnet_id]
        usable = IPv4Network(subnet["CidrBlock"]).num_addresses - RESERVED_IPS_PER_SUBNET
        total = pod_ips[zone]
        free = max(0, min(total, subnet["AvailableIpAddressCount"] - (usable - total)))
        percent = 100 * free / total if total else 0.0
        dimensions: list[DimensionTypeDef] = [
            {"Name": CLUSTER, "Value": cluster},
            {"Name": ZONE, "Value": zone},
            {"Name": SUBNET, "Value": subnet_id},
        ]
        metric_data.append({"MetricName": FREE_IPS, "Dimensions": dimensions, "Value": free, "Unit": "Count"})
        metric_data.append({"MetricName": FREE_PERCENT, "Dimensions": dimensions, "Value": percent, "Unit": "Percent"})
        report[zone] = {"subnetId": subnet_id, "total": total, "free": free, "freePercent": round(percent, 1)}
    metric_data.append(
        {
            "MetricName": SUBNETS_REPORTED,
            "Dimensions": [{"Name": CLUSTER, "Value": cluster}],
            "Value": len(pod_subnets),
            "Unit": "Count",
        }
    )
    # Two values per zone and one more: a handful, inside the limit of one PutMetricData call.
    boto3.client("cloudwatch").put_metric_data(Namespace=os.environ["METRIC_NAMESPACE"], MetricData=metric_data)
    print(json.dumps({"cluster": cluster, "zones": report}))
    return report
