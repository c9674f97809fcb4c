"""``cdk synth`` through the pinned CDK CLI, as ``make synth`` and ``cdk deploy`` run the app.

The other tests synthesize in-process; this run proves that app.py, cdk.json and the CLI agree with them, and that
app.py's fast exit leaves nothing behind but the unpacked Helm charts (a cache shared by synths, by design).
tests/test_cdk_cli_config_error.py runs the CLI on a configuration error.
"""

import json
import time
from pathlib import Path
from typing import Any

from podnet.constructs.packaged_helm_chart import UNPACKED
from podnet.diagrams.architecture_svg import read_templates
from tests.support.cdk_cli import cdk_synth
from tests.support.synth import Synthesized


def _left_in(tmpdir: Path) -> set[str]:
    """What stays in ``tmpdir`` once Node.js, which app.py does not wait for, has ended (at most 20 s)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(list(tmpdir.iterdir())) > 1:
        time.sleep(0.2)
    return {path.name for path in tmpdir.iterdir()}


def _without_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """Resources without their Metadata (the CLI adds construct paths; the test synthesizer does not)."""
    return {lid: {k: v for k, v in r.items() if k != "Metadata"} for lid, r in template["Resources"].items()}


def test_cdk_synth_writes_both_stacks_as_the_tests_see_them(tmp_path: Path, default_app: Synthesized) -> None:
    outdir, tmpdir = tmp_path / "out", tmp_path / "tmp"
    tmpdir.mkdir()
    done = cdk_synth(outdir, tmpdir=tmpdir)
    assert done.returncode == 0, done.stderr
    assert _left_in(tmpdir) == {UNPACKED.name}, "the fast synth exit (podnet/stacks/synth_exit.py) left files"
    for stack in ("network", "cluster"):
        written = outdir / f"{default_app.config.cluster_name}-{stack}.template.json"
        assert written.is_file()
        template = json.loads(written.read_text(encoding="utf-8"))
        assert _without_metadata(template) == _without_metadata(default_app.template(stack))
    # The architecture diagram of the docs reads a cloud assembly the same way.
    assert read_templates(outdir).keys() == {f"{default_app.config.cluster_name}-{s}" for s in ("network", "cluster")}
