"""Delete-time cleanup of what the VPC CNI and EKS leave in a podnet VPC, so that ``cdk destroy`` can finish.

The onEvent handler of the cluster stack's ``Custom::PodnetTeardownCleanup`` (aws_cdk.custom_resources.Provider).
The custom resource depends on every pod subnet, and the EKS cluster and the node groups depend on it, so
CloudFormation deletes it, and runs this, after the cluster and the nodes are gone and before the pod subnets, the
CIDR associations and the VPC. Create and Update do nothing.

On Delete it removes, and nothing else:

- VPC CNI ENIs left *available* in the pod subnets (amazon-vpc-cni-k8s #608, #1223), identified as the CNI's own
  leaked-ENI cleanup does (pkg/awsutils/awsutils.go, getLeakedENIs): tag ``node.k8s.amazonaws.com/instance_id``,
  description ``aws-K8S-<instance id>``, status available; and only in the pod subnets given.
- the cluster security group EKS created, ``eks-cluster-sg-<cluster>-<id>`` tagged ``aws:eks:cluster-name`` =
  <cluster>, in this VPC, when EKS left it behind (CNI ENIs that used it kept it alive).

While the EKS cluster still exists (a Delete during an update, not a teardown) it deletes nothing. ENIs of a node
that is still terminating are ``in-use``/detaching for a while: it retries until shortly before the Lambda
timeout, then fails with the ENIs or group still in the way, so ``cdk destroy`` stops with that message (run it
again once they are gone) instead of failing later with DependencyViolation on a subnet.
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import NetworkInterfaceTypeDef
    from mypy_boto3_eks import EKSClient

#: What the VPC CNI puts on every ENI it creates (amazon-vpc-cni-k8s pkg/awsutils/awsutils.go).
CNI_NODE_TAG = "node.k8s.amazonaws.com/instance_id"
CNI_DESCRIPTION_PREFIX = "aws-K8S-"
#: What EKS puts on the cluster security group it creates.
EKS_CLUSTER_TAG = "aws:eks:cluster-name"
#: Seconds between attempts while ENIs detach or the group is still in use.
POLL_SECONDS = 15
#: Seconds kept back from the Lambda timeout to report a clear failure.
MARGIN_SECONDS = 45

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class CleanupIncomplete(Exception):
    """Something podnet must remove is still in use when time runs out; the message names it."""


@dataclass
class Cleaned:
    """What one cleanup deleted."""

    network_interfaces: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Provider onEvent: clean up on Delete; keep the physical id stable on Update (a new one would mean Delete)."""
    physical_id = event.get("PhysicalResourceId") or f"{event['ResourceProperties']['ClusterName']}-teardown-cleanup"
    if event["RequestType"] != "Delete":
        return {"PhysicalResourceId": physical_id}
    properties = event["ResourceProperties"]
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS
    cleaned = clean_up(
        boto3.client("ec2"),
        boto3.client("eks"),
        cluster_name=properties["ClusterName"],
        vpc_id=properties["VpcId"],
        pod_subnet_ids=properties["PodSubnetIds"],
        deadline=deadline,
    )
    logger.info("deleted ENIs %s, security groups %s", cleaned.network_interfaces, cleaned.security_groups)
    return {"PhysicalResourceId": physical_id}


def clean_up(
    ec2: "EC2Client",
    eks: "EKSClient",
    *,
    cluster_name: str,
    vpc_id: str,
    pod_subnet_ids: Sequence[str],
    deadline: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Cleaned:
    """Delete the cluster's leftovers (see the module docstring) or raise CleanupIncomplete at ``deadline``."""
    cleaned = Cleaned()
    if _cluster_exists(eks, cluster_name):
        logger.info("cluster %s still exists: not a teardown, nothing to clean up", cluster_name)
        return cleaned
    while True:
        waiting = _delete_available_cni_enis(ec2, vpc_id, pod_subnet_ids, cleaned)
        if not waiting:
            break
        _wait_or_give_up(
            deadline, clock, sleep, "VPC CNI network interfaces still attached in the pod subnets", waiting
        )
    while True:
        waiting = _delete_cluster_security_groups(ec2, vpc_id, cluster_name, cleaned)
        if not waiting:
            return cleaned
        _wait_or_give_up(deadline, clock, sleep, "cluster security group still in use", waiting)


def cni_network_interfaces(
    ec2: "EC2Client", vpc_id: str, pod_subnet_ids: Sequence[str]
) -> list["NetworkInterfaceTypeDef"]:
    """Every ENI the VPC CNI created in the pod subnets, in any state."""
    pages = ec2.get_paginator("describe_network_interfaces").paginate(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "subnet-id", "Values": list(pod_subnet_ids)},
            {"Name": "tag-key", "Values": [CNI_NODE_TAG]},
        ]
    )
    return [
        eni
        for page in pages
        for eni in page["NetworkInterfaces"]
        # Filters narrow the query; these checks decide (an ENI outside the pod subnets is never deleted).
        if eni.get("SubnetId") in pod_subnet_ids
        and eni.get("VpcId") == vpc_id
        and eni.get("Description", "").startswith(CNI_DESCRIPTION_PREFIX)
        and any(tag.get("Key") == CNI_NODE_TAG for tag in eni.get("TagSet", []))
    ]


def cluster_security_groups(ec2: "EC2Client", vpc_id: str, cluster_name: str) -> list[str]:
    """The ids of the security groups EKS created for ``cluster_name`` in ``vpc_id`` (normally one, or none)."""
    prefix = f"eks-cluster-sg-{cluster_name}-"
    pages = ec2.get_paginator("describe_security_groups").paginate(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": f"tag:{EKS_CLUSTER_TAG}", "Values": [cluster_name]},
        ]
    )
    return [
        group["GroupId"]
        for page in pages
        for group in page["SecurityGroups"]
        if group.get("VpcId") == vpc_id
        and group.get("GroupName", "").startswith(prefix)
        # The tag, not the name, tells "podnet" from "podnet-dev" (whose group name also starts with the prefix).
        and {"Key": EKS_CLUSTER_TAG, "Value": cluster_name} in group.get("Tags", [])
    ]


def _cluster_exists(eks: "EKSClient", cluster_name: str) -> bool:
    try:
        eks.describe_cluster(name=cluster_name)
    except eks.exceptions.ResourceNotFoundException:
        return False
    return True


def _delete_available_cni_enis(
    ec2: "EC2Client", vpc_id: str, pod_subnet_ids: Sequence[str], cleaned: Cleaned
) -> list[str]:
    """Delete the available ones; return the ones still attached or detaching (to wait for)."""
    waiting = []
    for eni in cni_network_interfaces(ec2, vpc_id, pod_subnet_ids):
        eni_id = eni["NetworkInterfaceId"]
        if eni.get("Status") != "available":
            instance = eni.get("Attachment", {}).get("InstanceId", "?")
            waiting.append(f"{eni_id} ({eni.get('Status')}, instance {instance})")
            continue
        error = _try_delete(ec2.delete_network_interface, NetworkInterfaceId=eni_id)
        if error is None:
            cleaned.network_interfaces.append(eni_id)
        else:
            waiting.append(f"{eni_id} ({error})")
    return waiting


def _delete_cluster_security_groups(ec2: "EC2Client", vpc_id: str, cluster_name: str, cleaned: Cleaned) -> list[str]:
    waiting = []
    for group_id in cluster_security_groups(ec2, vpc_id, cluster_name):
        error = _try_delete(ec2.delete_security_group, GroupId=group_id)
        if error is None:
            cleaned.security_groups.append(group_id)
        else:
            waiting.append(f"{group_id} ({error})")
    return waiting


def _try_delete(delete: Callable[..., object], **resource_id: str) -> str | None:
    """None once the resource is gone (now or already); the AWS error code when a later retry may succeed."""
    try:
        delete(**resource_id)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code.endswith(".NotFound"):
            return None
        if code in ("InvalidNetworkInterface.InUse", "DependencyViolation"):
            return code
        raise
    return None


def _wait_or_give_up(
    deadline: float, clock: Callable[[], float], sleep: Callable[[float], None], what: str, items: Iterable[str]
) -> None:
    if clock() + POLL_SECONDS > deadline:
        raise CleanupIncomplete(
            f"{what}: {', '.join(items)}; wait until they are gone (or delete what holds them), then run"
            " cdk destroy again"
        )
    logger.info("%s: %s; retrying in %ss", what, ", ".join(items), POLL_SECONDS)
    sleep(POLL_SECONDS)
