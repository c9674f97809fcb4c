"""``cdk synth`` through the pinned CDK CLI on a configuration error: podnet's one-line message, no traceback, no
template. (A file of its own: it needs no synthesized app, so pytest-xdist can run it beside the files that do.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT
from tests.support.cdk_cli import cdk_synth


def test_cdk_synth_with_a_bad_pod_cidr_fails_with_one_line_and_no_template(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"podCidr": "192.168.0.0/16"}))
    outdir = tmp_path / "out"
    done = cdk_synth(outdir, "--context", f"podnet:configFile={config}")
    assert done.returncode != 0
    messages = [line for line in done.stderr.splitlines() if line.startswith("podnet: podCidr")]
    assert len(messages) == 1 and "192.168.0.0/16" in messages[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert list(outdir.rglob("*.template.json")) == []


def test_a_bad_setting_fails_before_the_stacks_are_loaded() -> None:
    """app.py validates the configuration before it imports the stacks: a mistake is reported without loading
    cdk-nag, cdk8s and the constructs first."""
    probe = (
        "import sys, app; code = app.main(); "
        "print([m for m in ('podnet.stacks.podnet_app', 'cdk_nag', 'cdk8s') if m in sys.modules]); sys.exit(code)"
    )
    context = {"podnet": {"clusterName": "podnet", "region": "us-east-1", "podCidr": "192.168.0.0/16"}}
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": path, "CDK_CONTEXT_JSON": json.dumps(context)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("podnet: podCidr") and done.stdout == "[]\n", (done.stdout, done.stderr)
