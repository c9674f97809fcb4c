"""The teardown cleanup function's code against moto: real boto3 calls, under mock_aws.

Each test gets its own VPC (and cluster name) holding the leftovers a destroy must remove and a decoy for every
way the selection could go wrong, and checks what is gone and that every decoy is still there. The mock account
is shared by the module (moto's first VPC costs seconds), so earlier tests' VPCs are extra decoys. moto does not
model DependencyViolation or the detach delay of a terminating node, so those two are driven explicitly.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from podnet.functions.teardown_cleanup.handler import (
    CNI_NODE_TAG,
    POLL_SECONDS,
    CleanupIncomplete,
    clean_up,
    on_event,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import TagTypeDef
    from mypy_boto3_eks import EKSClient

REGION = "us-east-1"


@dataclass
class Account:
    """A moto account with one podnet VPC after its cluster stack is gone."""

    ec2: "EC2Client"
    eks: "EKSClient"
    cluster: str
    vpc_id: str
    pod_subnets: list[str]
    node_subnet: str
    other_vpc_subnet: str
    cluster_group: str
    leftover_enis: list[str]
    decoy_enis: dict[str, str]
    decoy_groups: dict[str, str]

    def existing_enis(self) -> set[str]:
        return {eni["NetworkInterfaceId"] for eni in self.ec2.describe_network_interfaces()["NetworkInterfaces"]}

    def existing_groups(self) -> set[str]:
        return {group["GroupId"] for group in self.ec2.describe_security_groups()["SecurityGroups"]}

    def eni(self, subnet: str, *, description: str = "aws-K8S-i-0abc", cni_tag: bool = True) -> str:
        tag: TagTypeDef = {"Key": CNI_NODE_TAG, "Value": "i-0abc"} if cni_tag else {"Key": "Name", "Value": "mine"}
        created = self.ec2.create_network_interface(
            SubnetId=subnet,
            Description=description,
            Groups=[self.cluster_group] if subnet in self.pod_subnets else [],
            TagSpecifications=[{"ResourceType": "network-interface", "Tags": [tag]}],
        )
        return created["NetworkInterface"]["NetworkInterfaceId"]

    def attach(self, eni_id: str, subnet: str) -> str:
        instance = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)
        attached = self.ec2.attach_network_interface(
            NetworkInterfaceId=eni_id, InstanceId=instance["Instances"][0]["InstanceId"], DeviceIndex=1
        )
        return attached["AttachmentId"]

    def group(self, name: str, vpc_id: str, cluster_tag: str | None) -> str:
        tags: list[TagTypeDef] = [{"Key": "aws:eks:cluster-name", "Value": cluster_tag}] if cluster_tag else []
        created = self.ec2.create_security_group(
            GroupName=name,
            Description=name,
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}] if tags else [],
        )
        return created["GroupId"]


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple["EC2Client", "EKSClient"]]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            env.setenv(name, value)
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield boto3.client("ec2", region_name=REGION), boto3.client("eks", region_name=REGION)


_cluster_numbers = count(1)


@pytest.fixture
def account(clients: tuple["EC2Client", "EKSClient"]) -> Account:
    ec2, eks = clients
    cluster = f"podnet{next(_cluster_numbers)}"
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="100.64.0.0/16")
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]

    def subnet(vpc: str, cidr: str, zone: str) -> str:
        return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]

    account = Account(
        ec2=ec2,
        eks=eks,
        cluster=cluster,
        vpc_id=vpc_id,
        pod_subnets=[subnet(vpc_id, "100.64.0.0/18", "us-east-1a"), subnet(vpc_id, "100.64.64.0/18", "us-east-1b")],
        node_subnet=subnet(vpc_id, "10.0.64.0/18", "us-east-1a"),
        other_vpc_subnet=subnet(other_vpc, "10.1.0.0/24", "us-east-1a"),
        cluster_group="",
        leftover_enis=[],
        decoy_enis={},
        decoy_groups={},
    )
    account.cluster_group = account.group(f"eks-cluster-sg-{cluster}-1234567890", vpc_id, cluster)
    account.leftover_enis = [account.eni(s) for s in account.pod_subnets for _ in range(2)]
    attached = account.eni(account.pod_subnets[0])
    account.attach(attached, account.node_subnet)
    account.decoy_enis = {
        "attached CNI ENI in a pod subnet": attached,
        "untagged ENI in a pod subnet": account.eni(account.pod_subnets[0], cni_tag=False),
        "tagged ENI described otherwise": account.eni(account.pod_subnets[1], description="my own ENI"),
        "CNI ENI in a node subnet": account.eni(account.node_subnet),
        "CNI ENI in another VPC": account.eni(account.other_vpc_subnet),
    }
    account.decoy_groups = {
        "another cluster whose name starts the same": account.group(
            f"eks-cluster-sg-{cluster}-dev-99", vpc_id, f"{cluster}-dev"
        ),
        "same cluster name in another VPC": account.group(f"eks-cluster-sg-{cluster}-777", other_vpc, cluster),
        "cluster tag, other name": account.group(f"{cluster}-nodes", vpc_id, cluster),
        "cluster name pattern, no tag": account.group(f"eks-cluster-sg-{cluster}-555", vpc_id, None),
    }
    return account


class Clock:
    """Time that passes only when the cleanup sleeps; ``on_sleep`` runs at each sleep (what AWS did meanwhile)."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.now = 0.0
        self.sleeps = 0
        self.on_sleep = on_sleep

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        if self.on_sleep:
            self.on_sleep(self.sleeps)


def run(account: Account, clock: Clock, *, deadline: float) -> Any:
    return clean_up(
        account.ec2,
        account.eks,
        cluster_name=account.cluster,
        vpc_id=account.vpc_id,
        pod_subnet_ids=account.pod_subnets,
        deadline=deadline,
        sleep=clock.sleep,
        clock=clock,
    )


def detach_everything_in(account: Account, subnet: str) -> None:
    for eni in account.ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])[
        "NetworkInterfaces"
    ]:
        if "Attachment" in eni:
            account.ec2.detach_network_interface(AttachmentId=eni["Attachment"]["AttachmentId"])


def test_removes_available_cni_enis_and_the_cluster_group_once_a_detaching_eni_is_free(account: Account) -> None:
    """The attached CNI ENI in a pod subnet detaches during the first wait (a node still terminating)."""
    attached = account.decoy_enis.pop("attached CNI ENI in a pod subnet")
    clock = Clock(on_sleep=lambda _: detach_everything_in(account, account.pod_subnets[0]))
    cleaned = run(account, clock, deadline=600)
    assert sorted(cleaned.network_interfaces) == sorted([*account.leftover_enis, attached])
    assert cleaned.security_groups == [account.cluster_group]
    assert clock.sleeps == 1
    assert account.existing_enis() >= set(account.decoy_enis.values())
    assert not account.existing_enis() & {*account.leftover_enis, attached}
    assert account.existing_groups() >= set(account.decoy_groups.values())
    assert account.cluster_group not in account.existing_groups()


def test_an_eni_that_stays_attached_is_never_deleted_and_the_failure_names_it(account: Account) -> None:
    clock = Clock()
    with pytest.raises(CleanupIncomplete) as failure:
        run(account, clock, deadline=100)
    attached = account.decoy_enis["attached CNI ENI in a pod subnet"]
    assert attached in str(failure.value)
    assert "in-use" in str(failure.value)
    assert "cdk destroy again" in str(failure.value)
    # It retried until the deadline, deleting the available ones on the first pass.
    assert clock.sleeps == 100 // POLL_SECONDS
    assert not account.existing_enis() & set(account.leftover_enis)
    assert account.existing_enis() >= set(account.decoy_enis.values())
    # The group the attached ENI may still use is left for the next run.
    assert account.existing_groups() >= {account.cluster_group, *account.decoy_groups.values()}


def test_a_group_still_in_use_is_retried_then_reported(account: Account) -> None:
    """AWS answers DependencyViolation while something (e.g. a Lambda ENI) uses the group; moto does not model it,
    so a botocore hook gives that answer to the first ``refusals`` DeleteSecurityGroup calls."""
    detach_everything_in(account, account.pod_subnets[0])
    refusals = [2]

    def refuse(**_: Any) -> None:
        if refusals[0] > 0:
            refusals[0] -= 1
            raise ClientError(
                {"Error": {"Code": "DependencyViolation", "Message": "has a dependent object"}}, "DeleteSecurityGroup"
            )

    account.ec2.meta.events.register("before-call.ec2.DeleteSecurityGroup", refuse)
    try:
        clock = Clock()
        cleaned = run(account, clock, deadline=600)
        assert (refusals, clock.sleeps) == ([0], 2)
        assert cleaned.security_groups == [account.cluster_group]
        assert account.existing_groups() >= set(account.decoy_groups.values())

        refusals[0] = 1_000
        still_used = account.group(f"eks-cluster-sg-{account.cluster}-2", account.vpc_id, account.cluster)
        with pytest.raises(CleanupIncomplete, match=rf"{still_used} \(DependencyViolation\)"):
            run(account, Clock(), deadline=3 * POLL_SECONDS)
        assert still_used in account.existing_groups()
    finally:
        account.ec2.meta.events.unregister("before-call.ec2.DeleteSecurityGroup", refuse)


def test_nothing_is_touched_while_the_cluster_exists(account: Account) -> None:
    """A Delete during an update (the resource replaced or removed) is not a teardown."""
    account.eks.create_cluster(
        name=account.cluster,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": [account.node_subnet]},
    )
    before = (account.existing_enis(), account.existing_groups())
    cleaned = run(account, Clock(), deadline=600)
    assert (cleaned.network_interfaces, cleaned.security_groups) == ([], [])
    assert (account.existing_enis(), account.existing_groups()) == before


class LambdaContext:
    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def _event(account: Account, request_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
            "ClusterName": account.cluster,
            "VpcId": account.vpc_id,
            "PodSubnetIds": account.pod_subnets,
        },
        **extra,
    }


def test_create_and_update_do_nothing_and_keep_one_physical_id(account: Account) -> None:
    before = (account.existing_enis(), account.existing_groups())
    created = on_event(_event(account, "Create"), LambdaContext())
    updated = on_event(_event(account, "Update", PhysicalResourceId=created["PhysicalResourceId"]), LambdaContext())
    assert created == updated == {"PhysicalResourceId": f"{account.cluster}-teardown-cleanup"}
    assert (account.existing_enis(), account.existing_groups()) == before


def test_delete_event_cleans_up(account: Account) -> None:
    detach_everything_in(account, account.pod_subnets[0])
    attached = account.decoy_enis.pop("attached CNI ENI in a pod subnet")
    result = on_event(
        _event(account, "Delete", PhysicalResourceId=f"{account.cluster}-teardown-cleanup"), LambdaContext()
    )
    assert result == {"PhysicalResourceId": f"{account.cluster}-teardown-cleanup"}
    assert not account.existing_enis() & {*account.leftover_enis, attached}
    assert account.existing_enis() >= set(account.decoy_enis.values())
    assert account.existing_groups() >= set(account.decoy_groups.values())
    assert account.cluster_group not in account.existing_groups()
