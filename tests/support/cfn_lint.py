"""Run cfn-lint on a CloudFormation template with the committed ``.cfnlintrc.yaml``.

cfn-lint catches what ``cdk synth`` lets through (unknown properties, bad enum values, broken references) and would
otherwise surface only when CloudFormation rejects the change set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.runner import Runner

from tests.support import REPO_ROOT

CFNLINTRC = REPO_ROOT / ".cfnlintrc.yaml"


@dataclass(frozen=True)
class LintMatch:
    """One cfn-lint finding, reduced to what a test assertion needs."""

    rule_id: str
    severity: str
    message: str
    path: tuple[str | int, ...]


@cache
def _runner(config: Path, regions: tuple[str, ...]) -> Runner:
    """Loading cfn-lint's rules takes about half a second; reuse them for every template with the same config."""
    return Runner(ConfigMixIn(["--config-file", str(config), *(["--regions", *regions] if regions else [])]))


def lint_template(
    template: Mapping[str, Any] | Path, config: Path = CFNLINTRC, regions: tuple[str, ...] = ()
) -> list[LintMatch]:
    """cfn-lint findings for a template dict or a JSON/YAML template file, using ``config``.

    The config file is passed explicitly so the result does not depend on the working directory or on a
    ``~/.cfnlintrc`` of the person running the tests. ``regions`` overrides its regions (a template deployed to
    eu-west-1 is checked against eu-west-1).
    """
    text = template.read_text(encoding="utf-8") if isinstance(template, Path) else json.dumps(template)
    return list(_lint_text(text, config, regions))


@cache
def _lint_text(text: str, config: Path, regions: tuple[str, ...]) -> tuple[LintMatch, ...]:
    """cfn-lint is deterministic in the text, settings and regions: a template synthesized the same way by two
    configurations (the default and prefix delegation network stacks) is linted once."""
    decoded, parse_errors = decode_str(text)
    if parse_errors:
        matches = list(parse_errors)
    elif decoded is None:
        raise ValueError("empty template")
    else:
        matches = list(_runner(config, regions).validate_template(decoded))
    return tuple(
        LintMatch(
            rule_id=match.rule.id,
            severity=match.rule.severity,
            message=match.message,
            path=tuple(getattr(match, "path", ())),
        )
        for match in matches
    )


def reported_with(matches: list[LintMatch], config: Path = CFNLINTRC) -> list[LintMatch]:
    """The ``matches`` cfn-lint still reports under ``config``'s ignore_checks.

    cfn-lint runs every rule and then drops the matches of the rules a config disables (``Rules.run``), so one run
    with nothing ignored answers both "what do the ignored rules find" and "what does the committed config report".
    tests/test_cfn_lint.py checks that this filter and a real run with ``config`` agree.
    """
    runner = _runner(config, ())
    return [match for match in matches if runner.rules.is_rule_enabled(match.rule_id, runner.config)]


def errors(matches: list[LintMatch]) -> list[LintMatch]:
    """Only the error-level matches (the ``E`` rules), which CloudFormation would reject."""
    return [match for match in matches if match.severity == "error"]
