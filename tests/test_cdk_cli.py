"""``cdk synth`` through the pinned CDK CLI, as ``make synth`` and ``cdk deploy`` run the app.

The other tests synthesize in-process; these two runs prove that app.py, cdk.json and the CLI agree with them and
that a configuration error stops the CLI with podnet's one-line message instead of a traceback.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.support import REPO_ROOT
from tests.support.synth import Synthesized

CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def _cdk_synth(outdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the pinned CLI offline from the repo root, with the virtualenv's Python and Node first on PATH."""
    path = os.pathsep.join([str(REPO_ROOT / ".venv" / "bin"), str(CDK.parent), os.environ["PATH"]])
    env = {**os.environ, "PATH": path, "CDK_DISABLE_VERSION_CHECK": "1", "CDK_CLI_TELEMETRY": "false"}
    command = [str(CDK), "synth", "--quiet", "--no-notices", "--no-version-reporting", "-o", str(outdir), *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def _without_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """Resources without their Metadata (the CLI adds construct paths; the test synthesizer does not)."""
    return {lid: {k: v for k, v in r.items() if k != "Metadata"} for lid, r in template["Resources"].items()}


def test_cdk_synth_writes_both_stacks_as_the_tests_see_them(tmp_path: Path, default_app: Synthesized) -> None:
    done = _cdk_synth(tmp_path)
    assert done.returncode == 0, done.stderr
    for stack in ("network", "cluster"):
        written = tmp_path / f"{default_app.config.cluster_name}-{stack}.template.json"
        assert written.is_file()
        template = json.loads(written.read_text(encoding="utf-8"))
        assert _without_metadata(template) == _without_metadata(default_app.template(stack))


def test_cdk_synth_with_a_bad_pod_cidr_fails_with_one_line_and_no_template(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"podCidr": "192.168.0.0/16"}))
    outdir = tmp_path / "out"
    done = _cdk_synth(outdir, "--context", f"podnet:configFile={config}")
    assert done.returncode != 0
    messages = [line for line in done.stderr.splitlines() if line.startswith("podnet: podCidr")]
    assert len(messages) == 1 and "192.168.0.0/16" in messages[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert list(outdir.rglob("*.template.json")) == []
