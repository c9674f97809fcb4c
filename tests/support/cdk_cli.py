"""The pinned CDK CLI (node_modules/.bin/cdk), run as ``make synth`` runs it: offline, from the repository root."""

import os
import subprocess
from pathlib import Path

from tests.support import REPO_ROOT

CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def cdk_synth(outdir: Path, *args: str, tmpdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the pinned CLI offline from the repo root, with the virtualenv's Python and Node first on PATH;
    ``tmpdir``: the TMPDIR of the CLI and of what it runs."""
    path = os.pathsep.join([str(REPO_ROOT / ".venv" / "bin"), str(CDK.parent), os.environ["PATH"]])
    env = {**os.environ, "PATH": path, "CDK_DISABLE_VERSION_CHECK": "1", "CDK_CLI_TELEMETRY": "false"}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    command = [str(CDK), "synth", "--quiet", "--no-notices", "--no-version-reporting", "-o", str(outdir), *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
