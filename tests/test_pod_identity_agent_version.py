"""The Pod Identity agent add-on: pinned for every supported Kubernetes version, moved with it."""

from podnet.config.model import SUPPORTED_KUBERNETES_VERSIONS
from podnet.constructs.pod_identity_agent_version import AGENT_VERSIONS
from tests.support.synth import Synthesized, config_for, synthesize


def _agent_version(app: Synthesized) -> str:
    (agent,) = [
        a["Properties"]
        for a in app.resources("cluster", "AWS::EKS::Addon").values()
        if a["Properties"]["AddonName"] == "eks-pod-identity-agent"
    ]
    version: str = agent["AddonVersion"]
    return version


def test_every_supported_version_has_a_pinned_agent() -> None:
    assert set(AGENT_VERSIONS) == set(SUPPORTED_KUBERNETES_VERSIONS)
    assert all(version.startswith("v") and "-eksbuild." in version for version in AGENT_VERSIONS.values())


def test_the_agent_is_pinned_for_the_clusters_version(default_app: Synthesized) -> None:
    assert _agent_version(default_app) == AGENT_VERSIONS[default_app.config.kubernetes_version]


def test_the_pin_moves_with_the_kubernetes_version(default_app: Synthesized) -> None:
    """Each version's cluster gets its own table entry (the 1.35 synth is the one the upgrade tests use)."""
    previous = synthesize(config_for({"kubernetesVersion": "1.35"}))
    assert _agent_version(previous) == AGENT_VERSIONS["1.35"]
    assert _agent_version(default_app) == AGENT_VERSIONS["1.36"]
