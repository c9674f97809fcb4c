"""The pipeline's artifact buckets: old artifacts expire, and no retained bucket blocks re-creating the pipeline."""

import json

from tests.support.cfn_lint import lint_template
from tests.support.synth import SynthesizedPipeline


def test_artifact_bucket_expires_old_artifacts(pipeline_app: SynthesizedPipeline) -> None:
    (pipeline,) = pipeline_app.resources(pipeline_app.pipeline, "AWS::CodePipeline::Pipeline").values()
    stores = pipeline["Properties"]["ArtifactStores"]
    home = [s["ArtifactStore"]["Location"]["Ref"] for s in stores if s["Region"] == "us-east-1"]
    (bucket_id,) = home
    rules = pipeline_app.pipeline["Resources"][bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Status"], r["ExpirationInDays"]) for r in rules] == [("Enabled", 90)]


def test_replication_bucket_expires_artifacts_and_goes_with_its_stack(pipeline_app: SynthesizedPipeline) -> None:
    """Its generated name is the same on every re-creation, so a retained bucket would block the next create."""
    (support,) = pipeline_app.assembly.glob("cross-region-stack-*.template.json")
    template = json.loads(support.read_text())
    (bucket,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert bucket["DeletionPolicy"] == "Delete"
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Status"], r["ExpirationInDays"]) for r in rules] == [("Enabled", 90)]


def test_support_stack_lints_clean(pipeline_app: SynthesizedPipeline) -> None:
    """cfn-lint on the support stack podnet changes (tests/test_cfn_lint.py lints the pipeline and its stages)."""
    (support,) = pipeline_app.assembly.glob("cross-region-stack-*.template.json")
    assert lint_template(json.loads(support.read_text()), regions=("eu-west-1",)) == []
