"""Ending a synth process without the graceful shutdown that cost about 1 s of a default synth (about 8 s).

The cloud assembly is complete on disk once ``app.synth()`` returns. A normal exit then waits about 0.6 s for the
jsii kernel (Node.js) to shut down and about 0.4 s for Python to free aws-cdk-lib's modules (measured:
CONTRIBUTING.md, "Tests"). Node.js ends by itself (and removes its own temporary folder) when the synth
process's pipes close, so the process can exit at once, after removing the copy of the jsii runtime that jsii's
Python side made for it, unless Node.js printed validation findings that may still be on their way to stderr
through a thread of it.
"""

import contextlib
import json
import os
import sys
from pathlib import Path

#: The validation plugins' (cdk-nag's, CloudFormation's rules') report in the cloud assembly. Unacknowledged findings
#: are also printed; acknowledged ones are only listed in the file.
VALIDATION_REPORT = "validation-report.json"


def exit_after_synth(outdir: str) -> None:
    """Exit 0 now, skipping the graceful shutdown of Node.js and Python, if synth printed no findings; otherwise
    return, for a normal exit."""
    if printed_findings(Path(outdir) / VALIDATION_REPORT) or not _removed_jsii_runtime_copy():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _removed_jsii_runtime_copy() -> bool:
    """Remove the temporary folder holding this process's copy of the jsii runtime, as jsii's own shutdown would
    (Node.js has loaded it by now). It is private to jsii: if jsii changes it, exit the normal way rather than
    leave the folder behind."""
    from jsii._runtime import kernel

    cleanup = getattr(getattr(kernel.provider, "_process", None), "_ctx_stack", None)
    if not isinstance(cleanup, contextlib.ExitStack):
        return False
    cleanup.close()
    return True


def printed_findings(report: Path) -> bool:
    """Whether synth printed validation findings, as the report in the cloud assembly says."""
    if not report.exists():
        return False
    return any(plugin["violations"] for plugin in json.loads(report.read_text())["pluginReports"])
