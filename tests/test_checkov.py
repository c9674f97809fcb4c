"""checkov, the static analyser, on the synthesized templates: clean, every skip explained in the template.

One checkov run for the whole module (about 20 s): the default app's two stacks and the existing-VPC cluster. It
runs from its own virtualenv (``make setup``: checkov pins an older boto3 than podnet needs), offline
(``--skip-download``; without it checkov tries to fetch guidelines from its vendor and logs the failure).
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.synth import Synthesized

CHECKOV = Path(sys.executable).parent.parent / "checkov" / "bin" / "checkov"

#: (check, logical id prefix) of every acknowledged finding, for review in one place; each has its reason in the
#: template (``Metadata.checkov.skip``), written where the resource is made (podnet.nag.skip_checkov).
EXPECTED_SKIPS = {
    # aws-cdk-lib's provider that strips the default security group (network stack).
    *((check, "CustomVpcRestrictDefaultSG") for check in ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117")),
    # aws-cdk-lib's kubectl provider: its handler and its framework function.
    *((check, "ClusterKubectlProvider") for check in ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_173")),
    # The teardown cleanup and its framework, called by CloudFormation only.
    *((check, "TeardownCleanup") for check in ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173")),
    # The pod-IP metrics function: bounded concurrency and explicit retries are fixed, these are explained.
    *((check, "PodIpAlarmsFunction") for check in ("CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173")),
    # The termination queue: SSE-SQS, as NTH documents.
    ("CKV_AWS_27", "TerminationEventsQueue"),
}


@pytest.fixture(scope="module")
def report(default_app: Synthesized, existing_vpc_app: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Any:
    directory = tmp_path_factory.mktemp("checkov")
    templates = {
        "network": default_app.template("network"),
        "cluster": default_app.cluster,
        "existing-vpc-cluster": existing_vpc_app.cluster,
    }
    for name, template in templates.items():
        (directory / f"{name}.json").write_text(json.dumps(template))
    assert CHECKOV.is_file(), f"{CHECKOV} missing: run make setup"
    run = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return json.loads(run.stdout)


def _results(report: Any) -> dict[str, Any]:
    (results,) = [r["results"] for r in (report if isinstance(report, list) else [report])]
    assert isinstance(results, dict)
    return results


def test_no_findings(report: Any) -> None:
    results = _results(report)
    assert [(f["check_id"], f["resource"], f["file_path"]) for f in results["failed_checks"]] == []
    assert len(results["passed_checks"]) > 100, "checkov read the templates"


def test_every_skip_is_expected_and_has_a_reason(report: Any) -> None:
    skipped = _results(report)["skipped_checks"]
    found = set()
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "")) > 40, check["check_id"]
        resource_id = check["resource"].split(".", 1)[1]
        (prefix,) = {prefix for _, prefix in EXPECTED_SKIPS if resource_id.startswith(prefix)} or {resource_id}
        found.add((check["check_id"], prefix))
    assert found == EXPECTED_SKIPS
