"""``cdk synth`` through the pinned CDK CLI, as ``make synth`` and ``cdk deploy`` run the app.

The other tests synthesize in-process; this run proves that app.py, cdk.json and the CLI agree with them, and that
app.py's fast exit leaves nothing behind but the unpacked Helm charts (a cache shared by synths, by design).
tests/test_cdk_cli_config_error.py runs the CLI on a configuration error.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from podnet.constructs.packaged_helm_chart import UNPACKED
from podnet.diagrams.architecture_svg import read_templates
from tests.support import REPO_ROOT
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


def test_python_app_py_without_the_cdk_cli(tmp_path: Path, default_app: Synthesized) -> None:
    """``python app.py`` as a user may run it: no CDK CLI, so no context from it; app.py reads cdk.json itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDK_")}
    env["PATH"] = os.pathsep.join([str(REPO_ROOT / ".venv" / "bin"), env["PATH"]])  # the pinned Node.js
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "podnet: run without the CDK CLI: synthesizing cdk.json's configuration into ./cdk.out" in done.stderr
    written = json.loads((tmp_path / "cdk.out" / "podnet-cluster.template.json").read_text(encoding="utf-8"))
    assert _without_metadata(written) == _without_metadata(default_app.template("cluster"))
