"""cdk-nag on the pipeline stack: every acknowledged wildcard is named in its own acknowledgement's reason."""

import re

from tests.support.synth import SynthesizedPipeline

FINDING = re.compile(r"AwsSolutions-IAM5\[(?P<wildcard>.+)\]")


def test_each_pipeline_wildcard_is_acknowledged_by_name(pipeline_app: SynthesizedPipeline) -> None:
    (report,) = [r for r in pipeline_app.validation_report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    pipeline = [
        s
        for s in report["suppressedViolations"]
        if s["ruleName"].startswith("AwsSolutions-IAM5[")
        and s["acknowledgedAt"].startswith("podnet-pipeline/")
        and not s["acknowledgedAt"].startswith(("podnet-pipeline/dev/", "podnet-pipeline/prod/"))
    ]
    assert len(pipeline) > 10
    for suppressed in pipeline:
        match = FINDING.fullmatch(suppressed["ruleName"])
        assert match, suppressed["ruleName"]
        assert suppressed["reason"].startswith(f"{match['wildcard']}: "), suppressed
    # Resource::* is acknowledged on each role that holds it, each saying which actions it covers.
    star = {s["acknowledgedAt"] for s in pipeline if s["ruleName"] == "AwsSolutions-IAM5[Resource::*]"}
    assert len(star) == 3, star
