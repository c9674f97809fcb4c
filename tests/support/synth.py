"""Synthesize the podnet app in-process, once per configuration per test session."""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import mkdtemp
from typing import Any, cast

from aws_cdk import App, DefaultStackSynthesizer

from podnet.config import PodnetConfig
from podnet.config.loading import CONTEXT_KEY, load_config, read_cdk_json_context
from podnet.config.validation import validate
from podnet.stacks.deployment import add_podnet_stacks
from tests.support import REPO_ROOT

ASSET_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Synthesized:
    """The templates of one synthesized podnet app, keyed by stack role."""

    config: PodnetConfig
    network: dict[str, Any]
    cluster: dict[str, Any]
    #: The CDK policy-validation report (cdk-nag's findings and acknowledgements).
    validation_report: dict[str, Any]

    def resources(self, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for one CloudFormation type in ``stack`` ("network" or "cluster")."""
        template: dict[str, Any] = getattr(self, stack)
        return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


def cdk_json_context() -> dict[str, Any]:
    """The context cdk.json gives app.py (feature flags and the default podnet settings)."""
    return read_cdk_json_context(REPO_ROOT / "cdk.json")


def config_for(overrides: dict[str, Any] | None = None, config_file: Path | None = None) -> PodnetConfig:
    """The configuration app.py would build from cdk.json plus ``overrides`` (or a file)."""
    context = cdk_json_context()
    if overrides:
        context[CONTEXT_KEY] = {**context.get(CONTEXT_KEY, {}), **overrides}
    config = load_config(context, config_file)
    validate(config)
    return config


@cache
def synthesize_json(config_json: str) -> Synthesized:
    """Synthesize once per distinct configuration (the cache key is its JSON)."""
    config = PodnetConfig.model_validate_json(config_json)
    context = {k: v for k, v in cdk_json_context().items() if not k.startswith(CONTEXT_KEY)}
    outdir = Path(mkdtemp(prefix="podnet-cdk-out-"))
    app = App(
        context=context,
        outdir=str(outdir),
        # No BootstrapVersion rule: snapshots stay about podnet, not about the CDK bootstrap stack.
        default_stack_synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    deployment = add_podnet_stacks(app, config)
    assembly = app.synth()
    return Synthesized(
        config=config,
        network=assembly.get_stack_by_name(deployment.network.stack_name).template,
        cluster=assembly.get_stack_by_name(deployment.cluster.stack_name).template,
        validation_report=json.loads((outdir / "validation-report.json").read_text()),
    )


def synthesize(config: PodnetConfig) -> Synthesized:
    return synthesize_json(config.model_dump_json(by_alias=True))


def snapshot_form(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced, so a dependency bump that changes no resource passes."""
    return cast(dict[str, Any], json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template))))
