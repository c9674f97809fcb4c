"""``podnet plan --format svg``: the address plan to scale, every subnet named, the free space shown."""

from ipaddress import IPv4Network
from xml.etree import ElementTree

import pytest

from podnet.cli import main
from podnet.config.loading import load_config, parse_config, read_cdk_json_context
from podnet.diagrams.plan_svg import BAR, plan_svg
from podnet.plan import Plan, make_plan
from tests.support import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def _texts(document: str) -> str:
    """Everything written on the picture (text elements and box titles), as one string."""
    root = ElementTree.fromstring(document)
    return "\n".join(element.text or "" for element in root.iter() if element.tag in (f"{SVG}text", f"{SVG}title"))


def _box_width(document: str, cidr: str) -> float:
    root = ElementTree.fromstring(document)
    (width,) = [
        float(rect.attrib["width"])
        for rect in root.iter(f"{SVG}rect")
        if (title := rect.find(f"{SVG}title")) is not None and cidr in (title.text or "").split()
    ]
    return width


@pytest.mark.parametrize(
    "plan",
    [
        make_plan(parse_config({})),
        make_plan(load_config({}, EXAMPLES / "origin.json")),
        make_plan(load_config({}, EXAMPLES / "existing-vpc.json")),
        make_plan(
            parse_config(
                {
                    "additionalPodCidrs": ["100.65.0.0/20"],
                    "podSubnets": {
                        "us-east-1a": "100.64.0.0/18",
                        "us-east-1b": "100.65.0.0/21",
                        "us-east-1c": "100.65.8.0/22",
                    },
                }
            )
        ),
    ],
    ids=["default", "origin", "existing-vpc", "additional-block"],
)
def test_every_subnet_and_block_is_named_with_its_capacity(plan: Plan) -> None:
    written = _texts(plan_svg(plan))
    for zone in plan.zones:
        for subnet in (zone.public_subnet, zone.node_subnet, zone.pod_subnet):
            if subnet is not None:
                assert str(subnet) in written
                assert f"{subnet.num_addresses - 5:,}" in written
    for block in plan.vpc_blocks:
        assert str(block.cidr) in written


def test_default_plan_to_scale_with_its_free_space() -> None:
    document = plan_svg(make_plan(parse_config({"vpcCidr": "10.0.0.0/16"})))
    assert _box_width(document, "100.64.0.0/18") == pytest.approx(BAR / 4, abs=0.1)
    assert _box_width(document, "10.0.0.0/20") == pytest.approx(BAR / 16, abs=0.1)
    written = _texts(document)
    assert "free 100.64.192.0 - 100.64.255.255 16,384 addresses" in written.replace("\n", " ")
    assert "10.0.48.0 - 10.0.63.255" in written  # the primary block's fourth public slot, left free


def test_free_space_is_every_address_no_subnet_holds() -> None:
    plan = make_plan(load_config({}, EXAMPLES / "origin.json"))
    written = _texts(plan_svg(plan)).replace("\n", " ")
    # 172.2.3.0/24 is the only subnet in 172.2.0.0/16: free before it and after it
    assert "172.2.0.0 - 172.2.2.255 768 addresses" in written
    assert "172.2.4.0 - 172.2.255.255 64,512 addresses" in written
    assert IPv4Network("172.2.0.0/16").num_addresses == 768 + 256 + 64_512


def test_plan_format_svg_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    assert main(["plan", "--format", "svg"]) == 0
    out = capsys.readouterr().out
    ElementTree.fromstring(out)  # well-formed XML
    assert "100.64.128.0/18" in out


def test_plan_format_svg_needs_one_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    assert main(["plan", "--config", "examples/pipeline.json", "--format", "svg"]) == 1
    assert capsys.readouterr().err.strip() == (
        "podnet: --format svg draws one plan; name the environment with --environment NAME"
    )
    assert main(["plan", "--config", "examples/pipeline.json", "--format", "svg", "--environment", "dev"]) == 0


def test_readme_picture_is_what_podnet_draws_today() -> None:
    """README.md shows docs/images/plan-default.svg (the site draws it anew at every build)."""
    committed = (REPO_ROOT / "docs" / "images" / "plan-default.svg").read_text(encoding="utf-8")
    drawn = plan_svg(make_plan(load_config(read_cdk_json_context(REPO_ROOT / "cdk.json"))))
    assert committed.rstrip() == drawn.rstrip(), (
        "regenerate it: .venv/bin/podnet plan --format svg > docs/images/plan-default.svg"
    )
