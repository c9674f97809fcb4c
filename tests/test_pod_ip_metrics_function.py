"""The pod-IP metrics Lambda function, run against moto: real boto3 calls to EC2 and CloudWatch, read back."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from podnet.functions.pod_ip_metrics.handler import handler

CLUSTER = "demo"


@pytest.fixture(scope="module", autouse=True)
def aws() -> Iterator[None]:
    """moto in-process (once for the module: each test has its own VPC and metric namespace), with the
    environment Lambda gives a function (region, credentials) and nothing else."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield


@pytest.fixture
def namespace(request: pytest.FixtureRequest) -> str:
    return f"podnet-test-{request.node.name}"


def _pod_subnets(monkeypatch: pytest.MonkeyPatch, namespace: str) -> dict[str, str]:
    """A VPC with a secondary block and two pod subnets: a /26 (59 usable IPs) and a /24 (251)."""
    ec2 = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="100.64.0.0/16")
    subnets = {
        zone: ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for zone, cidr in (("us-east-1a", "100.64.0.0/26"), ("us-east-1b", "100.64.1.0/24"))
    }
    monkeypatch.setenv("CLUSTER_NAME", CLUSTER)
    monkeypatch.setenv("METRIC_NAMESPACE", namespace)
    monkeypatch.setenv("POD_SUBNETS", json.dumps(subnets))
    monkeypatch.setenv("POD_IPS", json.dumps({"us-east-1a": 59, "us-east-1b": 251}))
    return subnets


def _published(namespace: str, metric: str, dimensions: dict[str, str]) -> list[float]:
    """The values CloudWatch holds for one metric."""
    now = datetime.now(UTC)
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": name, "Value": value} for name, value in dimensions.items()],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Minimum"],
    )["Datapoints"]
    return [point["Minimum"] for point in points]


def test_publishes_free_ips_and_percent_per_pod_subnet(monkeypatch: pytest.MonkeyPatch, namespace: str) -> None:
    subnets = _pod_subnets(monkeypatch, namespace)
    # Pods' IPs sit on ENIs: one ENI with a primary and 50 secondary addresses in us-east-1a's /26.
    boto3.client("ec2").create_network_interface(SubnetId=subnets["us-east-1a"], SecondaryPrivateIpAddressCount=50)

    report = handler({}, None)

    assert report == {
        "us-east-1a": {"subnetId": subnets["us-east-1a"], "total": 59, "free": 8, "freePercent": 13.6},
        "us-east-1b": {"subnetId": subnets["us-east-1b"], "total": 251, "free": 251, "freePercent": 100.0},
    }
    zone_a = {"ClusterName": CLUSTER, "AvailabilityZone": "us-east-1a", "SubnetId": subnets["us-east-1a"]}
    zone_b = {"ClusterName": CLUSTER, "AvailabilityZone": "us-east-1b", "SubnetId": subnets["us-east-1b"]}
    assert _published(namespace, "FreePodIps", zone_a) == [8]
    assert _published(namespace, "FreePodIpPercent", zone_a) == [pytest.approx(100 * 8 / 59)]
    assert _published(namespace, "FreePodIps", zone_b) == [251]
    assert _published(namespace, "FreePodIpPercent", zone_b) == [100]
    assert _published(namespace, "PodSubnetsReported", {"ClusterName": CLUSTER}) == [2]


def test_with_prefix_delegation_free_pod_ips_leave_out_what_no_prefix_can_use(
    monkeypatch: pytest.MonkeyPatch, namespace: str
) -> None:
    """The /24 holds 14 whole /28s (224 pod IPs); 27 of its free addresses can never be a prefix. With one ENI
    holding 40 more addresses, at most 224 - 40 are left for prefixes, whatever ENI primary IPs took."""
    subnets = _pod_subnets(monkeypatch, namespace)
    monkeypatch.setenv("POD_IPS", json.dumps({"us-east-1a": 32, "us-east-1b": 224}))
    boto3.client("ec2").create_network_interface(SubnetId=subnets["us-east-1b"], SecondaryPrivateIpAddressCount=39)

    report = handler({}, None)

    assert report["us-east-1b"] == {"subnetId": subnets["us-east-1b"], "total": 224, "free": 184, "freePercent": 82.1}
    assert report["us-east-1a"] == {"subnetId": subnets["us-east-1a"], "total": 32, "free": 32, "freePercent": 100.0}


def test_metric_names_and_dimensions(monkeypatch: pytest.MonkeyPatch, namespace: str) -> None:
    """An alarm matches a metric only on all its dimensions: exactly these, no more."""
    subnets = _pod_subnets(monkeypatch, namespace)
    handler({}, None)
    listed = boto3.client("cloudwatch").list_metrics(Namespace=namespace)["Metrics"]
    published = sorted(
        (metric["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in metric["Dimensions"])))
        for metric in listed
    )
    per_zone = [
        (name, (("AvailabilityZone", zone), ("ClusterName", CLUSTER), ("SubnetId", subnet_id)))
        for zone, subnet_id in subnets.items()
        for name in ("FreePodIpPercent", "FreePodIps")
    ]
    assert published == sorted([*per_zone, ("PodSubnetsReported", (("ClusterName", CLUSTER),))])


def test_a_missing_pod_subnet_fails_the_run_and_publishes_nothing(
    monkeypatch: pytest.MonkeyPatch, namespace: str
) -> None:
    """No heartbeat then, so the function's alarm fires instead of the zones going quiet one by one."""
    subnets = _pod_subnets(monkeypatch, namespace)
    boto3.client("ec2").delete_subnet(SubnetId=subnets["us-east-1b"])

    with pytest.raises(ClientError, match=r"InvalidSubnetID\.NotFound"):
        handler({}, None)
    assert boto3.client("cloudwatch").list_metrics(Namespace=namespace)["Metrics"] == []
