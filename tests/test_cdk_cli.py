"""``cdk synth`` through the pinned CDK CLI, as ``make synth`` and ``cdk deploy`` run the app.

The other tests synthesize in-process; this run proves that app.py, cdk.json and the CLI agree with them.
tests/test_cdk_cli_config_error.py runs the CLI on a configuration error.
"""

import json
from pathlib import Path
from typing import Any

from tests.support.cdk_cli import cdk_synth
from tests.support.synth import Synthesized


def _without_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """Resources without their Metadata (the CLI adds construct paths; the test synthesizer does not)."""
    return {lid: {k: v for k, v in r.items() if k != "Metadata"} for lid, r in template["Resources"].items()}


def test_cdk_synth_writes_both_stacks_as_the_tests_see_them(tmp_path: Path, default_app: Synthesized) -> None:
    done = cdk_synth(tmp_path)
    assert done.returncode == 0, done.stderr
    for stack in ("network", "cluster"):
        written = tmp_path / f"{default_app.config.cluster_name}-{stack}.template.json"
        assert written.is_file()
        template = json.loads(written.read_text(encoding="utf-8"))
        assert _without_metadata(template) == _without_metadata(default_app.template(stack))
