"""``cdk synth`` through the pinned CDK CLI on a configuration error: podnet's one-line message, no traceback, no
template. (A file of its own: it needs no synthesized app, so pytest-xdist can run it beside the files that do.)"""

import json
from pathlib import Path

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
