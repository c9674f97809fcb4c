"""The in-VPC check installs kubectl only if it is, byte for byte, the binary the committed digest names."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from podnet.constructs.custom_networking_verifier import KUBECTL_SHA256, KUBECTL_URL, KUBECTL_VERSION
from tests.support.kubectl import client_version, kubectl_path
from tests.support.synth import SynthesizedPipeline

INSTALLED = "/usr/local/bin/kubectl"


def _install_commands(app: SynthesizedPipeline, environment: str) -> list[str]:
    (project,) = [
        r["Properties"]
        for lid, r in app.resources(app.stages[environment]["cluster"], "AWS::CodeBuild::Project").items()
        if lid.startswith("CustomNetworkingVerifier")
    ]
    commands: list[str] = json.loads(project["Source"]["BuildSpec"])["phases"]["install"]["commands"]
    return commands


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_kubectl_is_checked_against_the_committed_digest_only(
    pipeline_app: SynthesizedPipeline, environment: str
) -> None:
    commands = _install_commands(pipeline_app, environment)
    assert commands == [
        f"curl -fsSLo {INSTALLED} {KUBECTL_URL}",
        f'echo "{KUBECTL_SHA256}  {INSTALLED}" | sha256sum -c -',
        f"chmod +x {INSTALLED}",
    ]
    assert f"https://dl.k8s.io/release/{KUBECTL_VERSION}/bin/linux/amd64/kubectl" == KUBECTL_URL
    assert sum("curl" in command for command in commands) == 1  # no digest fetched from the download's host


def test_committed_digest_is_the_kubectl_of_the_hash_pinned_layer_wheel() -> None:
    """The layer wheel (pinned with its hash in requirements.lock) carries kubectl from dl.k8s.io: an independent
    copy of the same release, so a digest that matches it names the real binary."""
    assert client_version() == KUBECTL_VERSION
    assert hashlib.sha256(kubectl_path().read_bytes()).hexdigest() == KUBECTL_SHA256


def _run_check(pipeline_app: SynthesizedPipeline, binary: Path) -> int:
    """The buildspec's digest check as CodeBuild's shell runs it, against ``binary`` instead of the install path."""
    (check,) = [c for c in _install_commands(pipeline_app, "dev") if "sha256sum" in c]
    return subprocess.run(["bash", "-c", check.replace(INSTALLED, str(binary))], capture_output=True).returncode


def test_the_check_passes_the_real_kubectl_and_fails_other_bytes(
    pipeline_app: SynthesizedPipeline, tmp_path: Path
) -> None:
    assert _run_check(pipeline_app, kubectl_path()) == 0
    other = tmp_path / "kubectl"
    other.write_bytes(b"#!/bin/sh\necho not kubectl\n")
    assert _run_check(pipeline_app, other) != 0
