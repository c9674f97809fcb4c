"""Session fixtures: each configuration is synthesized once per test session (per pytest-xdist worker), then
shared by all tests."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import REPO_ROOT

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler import LoadFileScheduling

    from tests.support.synth import Synthesized, SynthesizedPipeline

# jsii runs the CDK in Node.js: use the pinned Node 24 of the virtualenv, not whatever is first on PATH. Set before
# any test module imports aws_cdk, which starts Node.js; the fixtures below import tests.support.synth only when they
# run, so the pytest-xdist controller, which runs no test, never starts it.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
# moto loads thousands of sample AMIs into every EC2 region it sets up, on each reset; podnet reads no AMI from EC2.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

PIPELINE_CONFIG_FILE = "examples/pipeline.json"
#: The subnet-discovery configuration of the ``subnet_discovery_app`` fixture.
SUBNET_DISCOVERY = {
    "podNetworking": "subnet-discovery",
    "additionalPodCidrs": ["100.65.0.0/16"],
    "cni": {"warmIpTarget": 2, "minimumIpTarget": 12},
}
#: An AL2023 AMI release tag in the published form (see docs/node-lifecycle.md, "Node AMI").
PINNED_AMI_RELEASE = "v20260827"


@pytest.fixture(scope="session")
def default_app() -> "Synthesized":
    """The app as `make synth` builds it (cdk.json context)."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for())


@pytest.fixture(scope="session")
def origin_app() -> "Synthesized":
    """examples/origin.json: the Terraform design's network (one pod subnet, in us-east-1a)."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for(config_file=REPO_ROOT / "examples" / "origin.json"))


@pytest.fixture(scope="session")
def existing_vpc_app() -> "Synthesized":
    """examples/existing-vpc.json: podCidr added to an existing VPC; nodes join by access entry only (mode API)."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for(config_file=REPO_ROOT / "examples" / "existing-vpc.json"))


@pytest.fixture(scope="session")
def prefix_delegation_app() -> "Synthesized":
    """Prefix delegation, and a pinned node AMI release: node options away from the defaults."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for({"prefixDelegation": True, "nodes": {"amiReleaseVersion": PINNED_AMI_RELEASE}}))


@pytest.fixture(scope="session")
def subnet_discovery_app() -> "Synthesized":
    """podNetworking subnet-discovery with one additional pod block (a second pod subnet per zone) and a warm pool."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for(SUBNET_DISCOVERY))


@pytest.fixture(scope="session")
def pipeline_app() -> "SynthesizedPipeline":
    """examples/pipeline.json: the pipeline stack and its dev and prod stages."""
    from tests.support.synth import synthesize_pipeline

    return synthesize_pipeline(PIPELINE_CONFIG_FILE)


@pytest.fixture(scope="session")
def no_autoscaler_app() -> "Synthesized":
    """nodes.autoscaler false: fixed-size groups, no Cluster Autoscaler."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for({"nodes": {"autoscaler": False}}))


@pytest.fixture(scope="session")
def large_app() -> "Synthesized":
    """maxSize 300 (100 nodes per zone): a roll in batches of the 10 % budget."""
    from tests.support.synth import config_for, synthesize

    return synthesize(config_for({"nodes": {"minSize": 3, "maxSize": 300}}))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: "Producer") -> "LoadFileScheduling | None":
    """pytest-xdist (`-n 2 --dist loadfile` in pyproject.toml): hand every test file that synthesizes to one worker
    as a single work unit, every other file to whichever worker is free.

    A worker synthesizes each configuration once, but two workers would each synthesize the configurations they
    share and each warm up the CDK's jsii runtime first (about 10 s of CPU together). A file that uses a synthesized
    app names its type (mypy --strict), so it imports tests.support.synth: that is how it is recognised here.
    """
    if config.getvalue("dist") != "loadfile":
        return None  # another --dist given on the command line: xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    synthesizing = {
        f"tests/{path.name}"
        for path in (REPO_ROOT / "tests").glob("test_*.py")
        if "tests.support.synth" in path.read_text(encoding="utf-8")
    }

    class SynthesizingFilesTogether(LoadFileScheduling):  # type: ignore[misc]  # xdist ships no type hints
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "files that synthesize" if path in synthesizing else path

    return SynthesizingFilesTogether(config, log)
