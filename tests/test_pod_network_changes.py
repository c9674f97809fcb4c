"""Changing a deployed pod network: one-step changes are listed, two-step ones refused with the path.

The deployed state is the cluster stack's CustomNetworking output (tests/test_day_two_changes.py checks that the
synthesized output reads back); here it is written out as the output would be.
"""

import json
import re
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from podnet.cli import DAY_TWO_NOTE, main
from podnet.config.changes import LEFTOVER_ENIS, validate_change
from podnet.config.deployed import DeployedPodNetwork, read_deployed
from podnet.config.errors import ConfigError
from podnet.config.loading import parse_config
from podnet.config.model import PodnetConfig
from podnet.ipplan.replacements import Replacement, conflicts, free_block, replacements

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
EXAMPLES = Path(__file__).parent.parent / "examples"
#: The default configuration as deployed: podCidr carved into three /18s.
DEFAULT = DeployedPodNetwork(
    availability_zones=ZONES,
    pod_cidrs=(IPv4Network("100.64.0.0/16"),),
    pod_subnets={zone: IPv4Network(f"100.64.{64 * i}.0/18") for i, zone in enumerate(ZONES)},
)


def subnets(**zones: str | None) -> dict[str, Any]:
    """podSubnets: the default carving with some zones (us_east_1a=...) changed or removed (None)."""
    chosen: dict[str, str | None] = {zone: str(net) for zone, net in DEFAULT.pod_subnets.items()}
    chosen |= {key.replace("_", "-"): value for key, value in zones.items()}
    return {"podSubnets": {zone: net for zone, net in chosen.items() if net is not None}}


def change(raw: dict[str, Any], deployed: DeployedPodNetwork = DEFAULT) -> list[str]:
    return validate_change(parse_config(raw), deployed)


def refusal(raw: dict[str, Any], deployed: DeployedPodNetwork = DEFAULT) -> str:
    with pytest.raises(ConfigError) as caught:
        change(raw, deployed)
    message = str(caught.value)
    assert message.startswith("podnet: ") and "\n" not in message
    return message


def deployed_as(config: PodnetConfig) -> DeployedPodNetwork:
    """What the cluster stack reports once ``config`` is deployed."""
    return DeployedPodNetwork(config.availability_zones, config.pod_cidrs, config.pod_subnet_cidrs)


def test_nothing_changed() -> None:
    assert change({}) == []
    assert change(subnets()) == []  # the same subnets, written out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            subnets(us_east_1a="100.64.192.0/18"),
            ["us-east-1a: pod subnet 100.64.0.0/18 -> 100.64.192.0/18: one step"],
            id="moved",
        ),
        pytest.param(
            subnets(us_east_1c=None),
            ["us-east-1c: pod subnet 100.64.128.0/18 removed, and with it us-east-1c's node groups: two steps"],
            id="removed",
        ),
        pytest.param(
            {"additionalPodCidrs": ["100.65.0.0/16"], **subnets(us_east_1a="100.65.0.0/17")},
            ["pod block 100.65.0.0/16 added: one step", "us-east-1a: pod subnet 100.64.0.0/18 -> 100.65.0.0/17"],
            id="block-added",
        ),
        pytest.param(
            # Two zones move into the free quarter of podCidr, half each.
            subnets(us_east_1a="100.64.192.0/19", us_east_1c="100.64.224.0/19"),
            ["us-east-1a: pod subnet 100.64.0.0/18 -> 100.64.192.0/19", "us-east-1c: pod subnet 100.64.128.0/18 ->"],
            id="two-zones-moved",
        ),
    ],
)
def test_one_step_changes_are_listed(raw: dict[str, Any], expected: list[str]) -> None:
    lines = change(raw)
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), line


def test_zone_added_and_block_removed_in_one_step() -> None:
    before = parse_config({"additionalPodCidrs": ["100.65.0.0/16"], **subnets(us_east_1c="100.65.0.0/18")})
    after = {"availabilityZones": list(ZONES), **subnets(us_east_1c="100.64.128.0/18")}
    assert change(after, deployed_as(before)) == [
        "pod block 100.65.0.0/16 removed: one step (disassociated after its subnets are deleted)",
        "us-east-1c: pod subnet 100.65.0.0/18 -> 100.64.128.0/18: one step (new subnet, ENIConfig, the nodes roll,"
        f" each drained, then the old subnet is deleted; {LEFTOVER_ENIS})",
    ]
    origin = DeployedPodNetwork(ZONES, DEFAULT.pod_cidrs, {"us-east-1a": IPv4Network("100.64.0.0/18")})
    assert change(subnets(us_east_1b="100.64.64.0/18", us_east_1c=None), origin) == [
        "us-east-1b: pod subnet 100.64.64.0/18 added: one step (subnet, ENIConfig, then the nodes roll)"
    ]


def test_a_subnet_overlapping_the_one_it_replaces_is_refused_with_a_two_step_path_that_works() -> None:
    final = subnets(us_east_1a="100.64.0.0/19")  # shrink in place: the new /19 lies inside the old /18
    message = refusal(final)
    assert message == (
        "podnet: podSubnets.us-east-1a 100.64.0.0/19 overlaps 100.64.0.0/18, the deployed pod subnet it replaces"
        " (CloudFormation creates the new one before it deletes the old one, so it fails with"
        " InvalidSubnet.Conflict); deploy in two steps: first set podSubnets.us-east-1a to a free block such as"
        " 100.64.192.0/18 and deploy (the nodes roll), then set 100.64.0.0/19 and deploy again"
    )
    (step,) = re.findall(r"such as (\S+) and deploy", message)
    first = subnets(us_east_1a=step)
    assert change(first) == [
        f"us-east-1a: pod subnet 100.64.0.0/18 -> {step}: one step (new subnet, ENIConfig,"
        f" the nodes roll, each drained, then the old subnet is deleted; {LEFTOVER_ENIS})"
    ]
    assert len(change(final, deployed_as(parse_config(first)))) == 1


def test_a_subnet_overlapping_another_zones_deleted_subnet_is_refused() -> None:
    message = refusal(subnets(us_east_1a="100.64.128.0/18", us_east_1c="100.64.192.0/18"))
    assert "podSubnets.us-east-1a 100.64.128.0/18 overlaps 100.64.128.0/18, the deployed pod subnet of us-east-1c," in (
        message
    )


def test_without_a_free_block_the_path_goes_through_a_new_block() -> None:
    full = DeployedPodNetwork(ZONES, (IPv4Network("100.64.0.0/24"),), {"us-east-1a": IPv4Network("100.64.0.0/24")})
    message = refusal({"podCidr": "100.64.0.0/24", "podSubnets": {"us-east-1a": "100.64.0.0/25"}}, full)
    assert "first add a block with additionalPodCidrs, move podSubnets.us-east-1a there and deploy" in message


def test_carving_that_overlaps_the_deployed_subnets_asks_for_explicit_pod_subnets() -> None:
    origin = DeployedPodNetwork(ZONES, DEFAULT.pod_cidrs, {"us-east-1a": IPv4Network("100.64.3.0/24")})
    message = refusal({}, origin)
    assert message.startswith(
        "podnet: podCidr 100.64.0.0/16 carved gives us-east-1a 100.64.0.0/18, which overlaps 100.64.3.0/24"
    )
    assert message.endswith("set podSubnets: the deployed subnets as they are, and free blocks for zones that get one")


def test_a_block_overlapping_the_one_it_replaces_is_refused() -> None:
    small = DeployedPodNetwork(ZONES, (IPv4Network("100.64.0.0/17"),), {"us-east-1a": IPv4Network("100.64.0.0/18")})
    message = refusal({"podCidr": "100.64.0.0/16", "podSubnets": {"us-east-1a": "100.64.128.0/18"}}, small)
    assert message.startswith(
        "podnet: podCidr 100.64.0.0/16 overlaps 100.64.0.0/17, a deployed pod block this change removes"
    )
    assert "first move the pod subnets of 100.64.0.0/17 to a block that overlaps neither" in message


def test_changed_zones_are_refused() -> None:
    message = refusal({"availabilityZones": [*ZONES, "us-east-1d"]})
    assert message.startswith("podnet: availabilityZones us-east-1a, us-east-1b, us-east-1c, us-east-1d differ from")


def test_changed_zones_of_an_existing_vpc_are_refused_naming_its_node_subnets() -> None:
    existing = json.loads((EXAMPLES / "existing-vpc.json").read_text())
    deployed = DeployedPodNetwork(
        availability_zones=ZONES[:2],
        pod_cidrs=DEFAULT.pod_cidrs,
        pod_subnets={zone: DEFAULT.pod_subnets[zone] for zone in ZONES[:2]},
    )
    message = refusal(existing, deployed)
    assert message.startswith("podnet: availabilityZones us-east-1a, us-east-1b, us-east-1c differ from the deployed")
    assert "keep existingVpc.nodeSubnets as deployed" in message
    assert "vpcCidr" not in message  # an existing VPC is not carved


def test_replacements_and_conflicts() -> None:
    a, b = IPv4Network("10.0.0.0/24"), IPv4Network("10.0.1.0/24")
    changes = replacements({"x": a, "y": b}, {"x": b, "z": a})
    assert changes == [Replacement("x", a, b), Replacement("z", None, a), Replacement("y", b, None)]
    assert [(c.new.key, c.old.key) for c in conflicts(changes)] == [("x", "y"), ("z", "x")]
    assert free_block([IPv4Network("10.0.0.0/23")], [a], prefix=24) == b
    assert free_block([IPv4Network("10.0.0.0/24")], [a], prefix=24) is None


def test_read_deployed_refuses_what_is_not_the_stack_output(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"deployed file .*missing\.json: No such file"):
        read_deployed(tmp_path / "missing.json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"podCidr": "100.64.0.0/16"}))
    with pytest.raises(ConfigError, match=r"not a CustomNetworking stack output .* save it with: aws cloudformation"):
        read_deployed(wrong)


def _deployed_default(directory: Path) -> Path:
    """The CustomNetworking stack output of the default configuration, saved as ``--deployed`` reads it."""
    deployed = directory / "deployed.json"
    deployed.write_text(
        json.dumps(
            {
                "availabilityZones": list(ZONES),
                "podCidrs": ["100.64.0.0/16"],
                "podSubnets": {
                    z: {"subnetId": f"subnet-{i}", "cidr": str(n)}
                    for i, (z, n) in enumerate(DEFAULT.pod_subnets.items())
                },
            }
        )
    )
    return deployed


def test_plan_says_what_deploys_in_one_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    deployed = _deployed_default(tmp_path)
    config = tmp_path / "moved.json"
    config.write_text(json.dumps(subnets(us_east_1a="100.64.192.0/18")))

    assert main(["plan"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == DAY_TWO_NOTE

    assert main(["plan", "--config", str(config), "--deployed", str(deployed)]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("change: us-east-1a: pod subnet 100.64.0.0/18 -> 100.64.192.0/18")
    )
    assert main(["plan", "--config", str(config), "--deployed", str(deployed), "--format", "json"]) == 0
    assert [c.split(":")[0] for c in json.loads(capsys.readouterr().out)["changes"]] == ["us-east-1a"]

    config.write_text(json.dumps(subnets(us_east_1a="100.64.0.0/19")))
    assert main(["plan", "--config", str(config), "--deployed", str(deployed)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("podnet: podSubnets.us-east-1a 100.64.0.0/19 overlaps") and err.count("\n") == 1


def test_plan_compares_one_environment_with_the_deployed_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployed file is one environment's output: with environments, --environment says which."""
    monkeypatch.chdir(tmp_path)
    deployed = _deployed_default(tmp_path)
    config = tmp_path / "environments.json"
    config.write_text(
        json.dumps({"environments": {"dev": {"clusterName": "dev"}, "prod": {"clusterName": "prod", **subnets()}}})
    )
    assert main(["plan", "--config", str(config), "--deployed", str(deployed)]) == 1
    assert capsys.readouterr().err == (
        "podnet: --deployed FILE is the pod network of one environment; name it with --environment NAME\n"
    )
    assert main(["plan", "--config", str(config), "--deployed", str(deployed), "--environment", "prod"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "change: none to the pod network"
