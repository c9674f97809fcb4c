"""The pinned AMI release table and the SSM parameter names (podnet.ipplan.ami_releases)."""

import pytest

from podnet.config.model import SUPPORTED_KUBERNETES_VERSIONS
from podnet.ipplan.ami_releases import (
    PINNED_AMI_RELEASES,
    ami_release,
    recommended_parameter,
    release_date,
    release_image_parameter,
    release_of_image_name,
)
from podnet.ipplan.architecture import architecture
from tests.support.synth import config_for


@pytest.mark.parametrize("version", SUPPORTED_KUBERNETES_VERSIONS)
@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_every_supported_version_and_architecture_has_a_pinned_release(version: str, arch: str) -> None:
    release = ami_release(version, arch, None)
    assert release == PINNED_AMI_RELEASES[(version, arch)]
    assert release_date(release) >= "20260714"


def test_the_setting_overrides_the_pin_and_an_unknown_version_has_none() -> None:
    assert ami_release("1.36", "arm64", "v20260923") == "v20260923"
    with pytest.raises(ValueError, match=r"no pinned AMI release for Kubernetes 1\.99 on x86_64"):
        ami_release("1.99", "x86_64", None)


def test_the_configuration_resolves_the_release_for_its_nodes_architecture() -> None:
    assert config_for().node_ami_release == PINNED_AMI_RELEASES[("1.36", "x86_64")]
    graviton = config_for({"nodes": {"instanceTypes": ["m7g.large", "m6g.large"]}})
    assert architecture("m7g.large") == "arm64"
    assert graviton.node_ami_release == PINNED_AMI_RELEASES[("1.36", "arm64")]
    assert config_for({"nodes": {"amiReleaseVersion": "v20260930"}}).node_ami_release == "v20260930"


def test_parameter_names() -> None:
    assert release_image_parameter("1.36", "arm64", "v20260923") == (
        "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/arm64/standard/"
        "amazon-eks-node-al2023-arm64-standard-1.36-v20260923/image_id"
    )
    assert recommended_parameter("1.35", "x86_64") == (
        "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended"
    )


def test_release_tags_and_image_names() -> None:
    assert release_date("v20260714") == "20260714"
    with pytest.raises(ValueError):
        release_date("1.36.2-20260714")
    assert release_of_image_name("amazon-eks-node-al2023-x86_64-standard-1.36-v20260923") == "v20260923"
    assert release_of_image_name("amazon-eks-node-al2023-x86_64-standard-1.36") is None
