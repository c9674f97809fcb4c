"""Synthesize the podnet app in-process, once per configuration per test session."""

import email
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, cast

import yaml
from aws_cdk import App, DefaultStackSynthesizer

from podnet.config import PodnetConfig
from podnet.config.app_config import AppConfig, load_app_config
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY, load_config, read_cdk_json_context
from podnet.config.validation import validate
from podnet.stacks.podnet_app import build_app
from podnet.stacks.podnet_stage import PodnetStage
from tests.support import REPO_ROOT
from tests.support.cfn_tokens import render, render_json

ASSET_HASH = re.compile(r"[0-9a-f]{64}")
#: Output directories that tests read after synthesis (TemporaryDirectory removes each when collected or at exit).
_KEPT_UNTIL_EXIT: list[TemporaryDirectory[str]] = []


@dataclass(frozen=True)
class Synthesized:
    """The templates of one synthesized podnet app, keyed by stack role."""

    config: PodnetConfig
    #: None with ``existingVpc``: the app has no network stack then.
    network: dict[str, Any] | None
    cluster: dict[str, Any]
    #: The CDK policy-validation report (cdk-nag's findings and acknowledgements).
    validation_report: dict[str, Any]

    def template(self, stack: str) -> dict[str, Any]:
        """The template of ``stack`` ("network" or "cluster"), which must exist."""
        template: dict[str, Any] | None = getattr(self, stack)
        assert template is not None, f"{self.config.cluster_name} has no {stack} stack"
        return template

    def resources(self, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for one CloudFormation type in ``stack`` ("network" or "cluster")."""
        return {lid: r for lid, r in self.template(stack)["Resources"].items() if r["Type"] == resource_type}

    def kubernetes_manifest(self, construct: str) -> list[dict[str, Any]]:
        """The objects of the cluster's KubernetesManifest ``construct`` (e.g. "EniConfigs"), tokens as ``<...>``."""
        (resource,) = [
            r
            for lid, r in self.resources("cluster", "Custom::AWSCDK-EKS-KubernetesResource").items()
            if lid.startswith(f"Cluster{construct}")
        ]
        return cast(list[dict[str, Any]], render_json(resource["Properties"]["Manifest"]))

    def aws_node_patch(self) -> dict[str, Any]:
        """The properties of the aws-node KubernetesPatch (ApplyPatchJson, RestorePatchJson, ...)."""
        (patch,) = self.resources("cluster", "Custom::AWSCDK-EKS-KubernetesPatch").values()
        return cast(dict[str, Any], patch["Properties"])

    def helm_chart(self, release: str) -> dict[str, Any]:
        """The properties of ``release``'s HelmChart custom resource, its ``Values`` parsed (tokens as ``<...>``)."""
        (chart,) = [
            r["Properties"]
            for r in self.resources("cluster", "Custom::AWSCDK-EKS-HelmChart").values()
            if r["Properties"]["Release"] == release
        ]
        return {**chart, "Values": render_json(chart["Values"])}

    def node_config(self, template_prefix: str = "SpotNodes") -> dict[str, Any]:
        """The NodeConfig nodeadm reads: the application/node.eks.aws part of the MIME user data of the launch
        template whose logical id starts with ``template_prefix`` (the spot nodes' by default, or ``SystemNodes``)."""
        (template,) = [
            t
            for lid, t in self.resources("cluster", "AWS::EC2::LaunchTemplate").items()
            if lid.startswith(template_prefix)
        ]
        message = email.message_from_string(render(template["Properties"]["LaunchTemplateData"]["UserData"]))
        assert message.is_multipart()
        (part,) = [p for p in message.walk() if p.get_content_type() == "application/node.eks.aws"]
        payload = part.get_payload()
        assert isinstance(payload, str)
        return cast(dict[str, Any], yaml.safe_load(payload))


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


def _test_app(outdir: Path, *, as_cli: bool = False) -> App:
    """An App like the CDK CLI's (cdk.json feature flags, construct paths in metadata), writing to ``outdir``.

    Assets are fingerprinted as in ``cdk synth`` (their hashes are in the templates) but not copied into ``outdir``
    (``cdk synth --no-staging``): the tests read templates, and copying the kubectl layer and the other assets
    (about 58 MB) for every configuration cost time and disk. tests/test_cdk_cli.py runs the real ``cdk synth``,
    which stages them, and checks its templates equal these.

    ``as_cli``: stage the assets and give every stack its own synthesizer, as ``cdk synth`` does, so the assembly
    can be published (tests/test_pipeline_asset_publishing.py). One synthesizer shared by the stacks (the default
    here) writes every stack's assets into every stack's asset manifest.
    """
    context = {k: v for k, v in cdk_json_context().items() if not k.startswith(CONTEXT_KEY)}
    if as_cli:
        return App(context={**context, "aws:cdk:enable-path-metadata": True}, outdir=str(outdir))
    return App(
        context={**context, "aws:cdk:enable-path-metadata": True, "aws:cdk:disable-asset-staging": True},
        outdir=str(outdir),
        # No BootstrapVersion rule: snapshots stay about podnet, not about the CDK bootstrap stack.
        default_stack_synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )


def _validation_report(outdir: Path) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((outdir / "validation-report.json").read_text()))


@cache
def synthesize_json(config_json: str) -> Synthesized:
    """Synthesize once per distinct configuration (the cache key is its JSON), exactly as app.py does."""
    config = PodnetConfig.model_validate_json(config_json)
    with TemporaryDirectory(prefix="podnet-cdk-out-") as outdir:
        app = _test_app(Path(outdir))
        build_app(app, AppConfig(base=config, environments={config.cluster_name: config}, warnings=[]))
        assembly = app.synth()
        stacks = {stack.stack_name: stack.template for stack in assembly.stacks}
        validation_report = _validation_report(Path(outdir))
    network = stacks.get(f"{config.cluster_name}-network")
    assert (network is None) == (config.existing_vpc is not None), "a network stack exactly without existingVpc"
    return Synthesized(
        config=config,
        network=network,
        cluster=stacks[f"{config.cluster_name}-cluster"],
        validation_report=validation_report,
    )


@dataclass(frozen=True)
class SynthesizedPipeline:
    """The pipeline stack's template and, per environment, its stage's network and cluster templates."""

    pipeline: dict[str, Any]
    #: environment -> "network"/"cluster" -> template
    stages: dict[str, dict[str, dict[str, Any]]]
    validation_report: dict[str, Any]
    #: The cloud assembly as the pipeline's Assets stage gets it (templates, asset manifests, staged assets);
    #: removed when the test session ends.
    assembly: Path

    def resources(self, template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


@cache
def synthesize_pipeline(config_file: str) -> SynthesizedPipeline:
    """Synthesize a configuration with a ``pipeline`` section (a file relative to the repository) like app.py."""
    app_config = load_app_config({**cdk_json_context(), CONFIG_FILE_CONTEXT_KEY: config_file}, REPO_ROOT)
    assert app_config.base.pipeline is not None, f"{config_file} has no pipeline section"
    stages: dict[str, dict[str, dict[str, Any]]] = {}
    kept = TemporaryDirectory(prefix="podnet-pipeline-out-")
    _KEPT_UNTIL_EXIT.append(kept)
    outdir = kept.name
    app = _test_app(Path(outdir), as_cli=True)
    build_app(app, app_config)
    assembly = app.synth()
    pipeline_stack = app.node.find_child(f"{app_config.base.cluster_name}-pipeline")
    for name in app_config.environments:
        stage = pipeline_stack.node.find_child(name)
        assert isinstance(stage, PodnetStage)
        stage_assembly = stage.synth()
        stacks = {"network": stage.deployment.network, "cluster": stage.deployment.cluster}
        stages[name] = {
            role: stage_assembly.get_stack_by_name(stack.stack_name).template
            for role, stack in stacks.items()
            if stack is not None
        }
    pipeline = assembly.get_stack_by_name(f"{app_config.base.cluster_name}-pipeline").template
    validation_report = _validation_report(Path(outdir))
    return SynthesizedPipeline(
        pipeline=pipeline, stages=stages, validation_report=validation_report, assembly=Path(outdir)
    )


def synthesize(config: PodnetConfig) -> Synthesized:
    return synthesize_json(config.model_dump_json(by_alias=True))


def snapshot_form(template: dict[str, Any]) -> dict[str, Any]:
    """The template as it deploys: asset hashes replaced (a dependency bump that changes no resource passes) and
    construct paths dropped (a refactor that moves no resource passes)."""
    form = cast(dict[str, Any], json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template))))
    for resource in form.get("Resources", {}).values():
        metadata = resource.get("Metadata", {})
        metadata.pop("aws:cdk:path", None)
        if not metadata:
            resource.pop("Metadata", None)
    return form
