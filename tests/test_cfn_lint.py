"""cfn-lint over every synthesized template: what CloudFormation would reject is caught before a change set.

The committed ``.cfnlintrc.yaml`` may ignore a rule only with a reason; each ignored rule is checked again with
nothing ignored, so it can hide no finding outside the case its reason covers. Each template is linted once, with
nothing ignored; what the committed config reports is that run's findings minus the rules it ignores, exactly as
cfn-lint filters them (``test_the_committed_config_reports_what_the_unignored_run_keeps`` holds the two together).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cfn_lint import CFNLINTRC, LintMatch, lint_template, reported_with
from tests.support.synth import Synthesized, SynthesizedPipeline

APPS = ("default_app", "origin_app", "prefix_delegation_app", "existing_vpc_app", "subnet_discovery_app")
STACKS = ("network", "cluster")
TEMPLATES = [
    pytest.param(app, stack, id=f"{app.removesuffix('_app')}-{stack}")
    for app in APPS
    for stack in STACKS
    if (app, stack) != ("existing_vpc_app", "network")  # no network stack with existingVpc
]

Scope = Callable[[Synthesized, dict[str, Any], LintMatch], bool]


def _lambda_depends_on_its_role(app: Synthesized, template: dict[str, Any], match: LintMatch) -> bool:
    if len(match.path) != 4 or match.path[2] != "DependsOn":
        return False
    _, logical_id, _, index = match.path
    resource = template["Resources"][logical_id]
    kind: str = resource["Type"]
    role_arn: object = resource["Properties"].get("Role")
    return kind == "AWS::Lambda::Function" and role_arn == {"Fn::GetAtt": [resource["DependsOn"][index], "Arn"]}


SCOPES: dict[str, Scope] = {
    "W3005": _lambda_depends_on_its_role,
}
"""Ignored rule -> where its reason (the comment in .cfnlintrc.yaml) holds."""


def _committed_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(CFNLINTRC.read_text(encoding="utf-8"))
    return config


@pytest.fixture(scope="module")
def nothing_ignored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed settings without ignore_checks, to see what the ignored rules would report."""
    path = tmp_path_factory.mktemp("cfnlint") / "cfnlintrc.yaml"
    path.write_text(yaml.safe_dump({**_committed_config(), "ignore_checks": []}))
    return path


@pytest.mark.parametrize(("app_fixture", "stack"), TEMPLATES)
def test_template_lints_clean(
    app_fixture: str, stack: str, request: pytest.FixtureRequest, nothing_ignored: Path
) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    assert reported_with(lint_template(app.template(stack), config=nothing_ignored)) == []


@pytest.mark.parametrize(("app_fixture", "stack"), TEMPLATES)
def test_ignored_rules_fire_only_where_their_reason_holds(
    app_fixture: str, stack: str, request: pytest.FixtureRequest, nothing_ignored: Path
) -> None:
    app: Synthesized = request.getfixturevalue(app_fixture)
    template = app.template(stack)
    ignored = [m for m in lint_template(template, config=nothing_ignored) if m.rule_id in SCOPES]
    assert [m for m in ignored if not SCOPES[m.rule_id](app, template, m)] == []


def test_the_committed_config_reports_what_the_unignored_run_keeps(
    default_app: Synthesized, nothing_ignored: Path
) -> None:
    """The tests above lint once with nothing ignored and filter; a real run with .cfnlintrc.yaml must agree, on a
    template where every ignored rule does fire (so the filter has something to drop)."""
    template = default_app.template("network")
    unignored = lint_template(template, config=nothing_ignored)
    assert {m.rule_id for m in unignored} >= set(SCOPES), "no ignored rule fires here: the comparison proves nothing"
    assert lint_template(template) == reported_with(unignored)
    assert {m.rule_id for m in reported_with(unignored)}.isdisjoint(SCOPES)


def test_every_ignored_rule_has_a_reason_and_a_scope_check() -> None:
    ignored = _committed_config()["ignore_checks"]
    assert sorted(ignored) == sorted(SCOPES)
    lines = CFNLINTRC.read_text(encoding="utf-8").splitlines()
    for rule in ignored:
        index = lines.index(f"  - {rule}")
        assert lines[index - 1].lstrip().startswith("# "), f"{rule} is ignored without a comment giving the reason"


def test_scope_checks_reject_a_finding_outside_their_reason(default_app: Synthesized) -> None:
    """Findings just outside each reason must not pass as covered, or the ignores would hide anything."""
    template = {
        "Resources": {
            "Host": {"Type": "AWS::EC2::Instance", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}, "DependsOn": ["Host"]},
        },
    }
    outside = [LintMatch("W3005", "warning", "", ("Resources", "Queue", "DependsOn", 0))]
    assert [SCOPES[m.rule_id](default_app, template, m) for m in outside] == [False]


PIPELINE_TEMPLATES = [
    pytest.param("pipeline", None, "us-east-1", id="pipeline"),
    *(
        pytest.param(env, stack, region, id=f"{env}-{stack}")
        for env, region in (("dev", "eu-west-1"), ("prod", "us-east-1"))
        for stack in STACKS
    ),
]


@pytest.mark.parametrize(("environment", "stack", "region"), PIPELINE_TEMPLATES)
def test_pipeline_templates_lint_clean(
    pipeline_app: SynthesizedPipeline, environment: str, stack: str | None, region: str
) -> None:
    """examples/pipeline.json: the pipeline stack and each environment's stacks, in the region they deploy to."""
    template = pipeline_app.pipeline if stack is None else pipeline_app.stages[environment][stack]
    assert lint_template(template, regions=(region,)) == []
