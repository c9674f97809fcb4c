"""The architecture that picks the AL2023 AMI, from the instance family name."""

import pytest

from podnet.ipplan.architecture import architecture


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("m7g.large", "arm64"),
        ("c6gn.xlarge", "arm64"),
        ("r8gd.2xlarge", "arm64"),
        ("im4gn.large", "arm64"),
        ("is4gen.medium", "arm64"),
        ("a1.large", "arm64"),
        ("t4g.medium", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("m5.large", "x86_64"),
        ("g5.xlarge", "x86_64"),
        ("r7iz.large", "x86_64"),
        ("inf2.xlarge", "x86_64"),
        ("m6a.large", "x86_64"),
    ],
)
def test_architecture(instance_type: str, expected: str) -> None:
    assert architecture(instance_type) == expected
