"""Ending a synth process without the graceful shutdown that costs a sixth of a default synth.

The cloud assembly is complete on disk once ``app.synth()`` returns. A normal exit then waits about 0.6 s for the
jsii kernel (Node.js) to shut down and about 0.4 s for Python to free aws-cdk-lib's modules (measured, see README
"Tests"). Node.js ends by itself when the synth process's pipes close, so the process can exit at once, unless
Node.js printed validation findings that may still be on their way to stderr through a thread of this process.
"""

import json
import os
import sys
from pathlib import Path

#: The validation plugins' (cdk-nag's, CloudFormation's rules') report in the cloud assembly. Unacknowledged findings
#: are also printed; acknowledged ones are only listed in the file.
VALIDATION_REPORT = "validation-report.json"


def exit_after_synth(outdir: str) -> None:
    """Exit 0 now, skipping the graceful shutdown of Node.js and Python, if synth printed no findings."""
    if printed_findings(Path(outdir) / VALIDATION_REPORT):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def printed_findings(report: Path) -> bool:
    """Whether synth printed validation findings, as the report in the cloud assembly says."""
    if not report.exists():
        return False
    return any(plugin["violations"] for plugin in json.loads(report.read_text())["pluginReports"])
