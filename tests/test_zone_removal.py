"""Removing a zone: why it takes a drain first (the deletion order on the template), and the steps
``podnet plan --deployed`` prints, run against moto."""

import re
import shlex
from typing import Any

import boto3
import jmespath  # type: ignore[import-untyped]  # botocore's dependency, no stubs installed
from moto import mock_aws

from podnet.config.changes import LEFTOVER_ENIS, validate_change
from podnet.config.deployed import DeployedPodNetwork
from podnet.config.loading import parse_config
from tests.support.synth import Synthesized

REGION = "us-east-1"


def _removal_line() -> str:
    """What ``podnet plan --deployed`` says when us-east-1c's pod subnet leaves the default configuration."""
    deployed_config = parse_config({})
    deployed = DeployedPodNetwork(
        deployed_config.availability_zones, deployed_config.pod_cidrs, deployed_config.pod_subnet_cidrs
    )
    kept = {zone: str(cidr) for zone, cidr in deployed_config.pod_subnet_cidrs.items() if zone != "us-east-1c"}
    (line,) = validate_change(parse_config({"podSubnets": kept}), deployed)
    return line


def test_a_lifecycle_hook_goes_before_its_group(default_app: Synthesized) -> None:
    """Every hook Refs its group, so on delete CloudFormation removes the hook first (reverse dependency order)
    and the group's last nodes terminate without one: the reason for the drain step."""
    groups = default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup")
    hooks = default_app.resources("cluster", "AWS::AutoScaling::LifecycleHook").values()
    assert len(hooks) == 2 * len(groups)
    for hook in hooks:
        assert hook["Properties"]["AutoScalingGroupName"]["Ref"] in groups
    for group in groups.values():
        assert "LifecycleHookSpecificationList" not in group["Properties"]


def test_removing_a_zone_prints_two_steps() -> None:
    line = _removal_line()
    assert line.startswith("us-east-1c: pod subnet 100.64.128.0/18 removed, and with it us-east-1c's node groups:")
    assert "two steps" in line and "(1) drain the zone" in line and "(2) deploy this configuration" in line


def _commands(line: str) -> list[str]:
    return re.findall(r"`([^`]+)`", line)


def _create_group(name: str, zone: str, cluster: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    (subnet,) = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"] == zone]
    if not ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": ["nodes"]}])[
        "LaunchTemplates"
    ]:
        ec2.create_launch_template(
            LaunchTemplateName="nodes", LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "m6i.large"}
        )
    boto3.client("autoscaling", region_name=REGION).create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": "nodes"},
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        VPCZoneIdentifier=subnet,
        Tags=[{"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned", "PropagateAtLaunch": True}],
    )


def _filter(word: str) -> Any:
    """The AWS CLI's shorthand ``Name=N,Values=V`` as the API's filter."""
    name, value = (part.split("=", 1)[1] for part in word.split(","))
    return {"Name": name, "Values": [value]}


def _run(command: str) -> Any:
    """An ``aws autoscaling`` command of the printed steps, made with boto3 (its ``--query`` with jmespath)."""
    words = shlex.split(command)
    assert words[:2] == ["aws", "autoscaling"], command
    operation = words[2]
    options: dict[str, str] = {}
    for index in range(3, len(words), 2):
        options[words[index]] = words[index + 1]
    client = boto3.client("autoscaling", region_name=REGION)
    if operation == "describe-auto-scaling-groups":
        kwargs: dict[str, Any] = {}
        if "--filters" in options:
            kwargs["Filters"] = [_filter(options["--filters"])]
        if "--auto-scaling-group-names" in options:
            kwargs["AutoScalingGroupNames"] = [options["--auto-scaling-group-names"]]
        answer = client.describe_auto_scaling_groups(**kwargs)
        return jmespath.search(options["--query"], answer) if "--query" in options else answer
    assert operation == "update-auto-scaling-group", command
    return client.update_auto_scaling_group(
        AutoScalingGroupName=options["--auto-scaling-group-name"],
        MinSize=int(options["--min-size"]),
        MaxSize=int(options["--max-size"]),
        DesiredCapacity=int(options["--desired-capacity"]),
    )


def test_the_drain_step_finds_and_empties_exactly_the_zones_groups() -> None:
    """The printed commands, run against moto: the zone's spot and system groups of this cluster are found (not
    another zone's, not another cluster's) and scaled to zero."""
    find, scale, wait = _commands(_removal_line())[:3]
    with mock_aws():
        _create_group("podnet-spot-c", "us-east-1c", "podnet")
        _create_group("podnet-system-c", "us-east-1c", "podnet")
        _create_group("podnet-spot-a", "us-east-1a", "podnet")
        _create_group("other-spot-c", "us-east-1c", "other")
        found = _run(find)
        assert sorted(found) == ["podnet-spot-c", "podnet-system-c"]
        for group in found:
            _run(scale.replace("GROUP", group))
            (described,) = _run(wait.replace("GROUP", group))["AutoScalingGroups"]
            assert (described["MinSize"], described["MaxSize"], described["DesiredCapacity"]) == (0, 0, 0)
            assert described["Instances"] == []
        (untouched,) = _run("aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names podnet-spot-a")[
            "AutoScalingGroups"
        ]
        assert untouched["DesiredCapacity"] == 1


def test_the_leftover_interface_commands_find_only_the_subnets_available_interfaces() -> None:
    """The ENI step, run against moto: the printed filter finds a detached interface of the old subnet only."""
    list_command, delete_command = _commands(LEFTOVER_ENIS)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        leftover = ec2.create_network_interface(SubnetId=subnets[0])["NetworkInterface"]["NetworkInterfaceId"]
        ec2.create_network_interface(SubnetId=subnets[1])
        words = shlex.split(list_command.replace("SUBNET", subnets[0]))
        assert words[:3] == ["aws", "ec2", "describe-network-interfaces"]
        filters = [_filter(word) for word in words[words.index("--filters") + 1 : words.index("--query")]]
        answer = ec2.describe_network_interfaces(Filters=filters)
        found = jmespath.search(words[words.index("--query") + 1], answer)
        assert found == [leftover]
        assert shlex.split(delete_command)[:3] == ["aws", "ec2", "delete-network-interface"]
        ec2.delete_network_interface(NetworkInterfaceId=found[0])
        assert ec2.describe_network_interfaces(Filters=filters)["NetworkInterfaces"] == []
