"""A Helm chart packaged in this repository (podnet/data/helm/), installed from the CDK asset bucket.

No public chart repository is reached at deploy time, and the tests render the very chart that is deployed.
aws_eks_v2's kubectl handler downloads a chart asset as a **zip** and unzips it before ``helm upgrade``
(``get_chart_asset_from_url``): an asset of the ``.tgz`` file itself would fail there. So the packaged chart is
unpacked at synth into a folder, which the CDK zips as the asset.
"""

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

from aws_cdk import DefaultStackSynthesizer, Duration, Stack, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from podnet.nag import acknowledge, iam5

#: Where the packaged charts live; each one has a row in its SOURCES.md.
CHARTS = files("podnet.data").joinpath("helm")
#: Unpacked charts, one folder per chart content (so parallel synths share them and none sees a partial one).
UNPACKED = Path(tempfile.gettempdir()) / "podnet-helm-charts"


def chart_directory(chart_file: str) -> Path:
    """The packaged chart ``chart_file`` unpacked: the folder with its Chart.yaml, byte-identical to the package."""
    package = CHARTS.joinpath(chart_file).read_bytes()
    target = UNPACKED / hashlib.sha256(package).hexdigest()[:16]
    if (target / "Chart.yaml").is_file():
        return target
    UNPACKED.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=UNPACKED, prefix="unpacking-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as archive:
            archive.extractall(staging, filter="data")
        (chart,) = staging.iterdir()  # a packaged chart holds one folder, named after the chart
        try:
            os.replace(chart, target)
        except OSError:  # another synth unpacked the same chart first
            if not (target / "Chart.yaml").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


#: How long a waiting release may take to get its pods ready: nodes that start with the release need about three
#: minutes to join; aws_eks_v2 allows at most 15 (the kubectl handler is a Lambda function).
RELEASE_READY_TIMEOUT = Duration.minutes(10)


class PackagedHelmChart(Construct):
    """``helm upgrade --install`` of a packaged chart.

    With ``wait`` (``--wait``), the deploy fails, and CloudFormation rolls back, when the release's pods are not
    ready within :data:`RELEASE_READY_TIMEOUT`: only for a release whose pods have nodes to run on by the time it
    is installed (make it depend on them), or the first deploy would time out.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        chart_file: str,
        release: str,
        namespace: str,
        values: Mapping[str, Any],
        wait: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        asset = s3_assets.Asset(self, "Asset", path=str(chart_directory(chart_file)))
        self.chart = eks.HelmChart(
            self,
            "Release",
            # jsii's Python typing of Cluster lacks ICluster.kubectl_provider_options; the object has it.
            cluster=cast(eks.ICluster, cluster),
            chart_asset=asset,
            release=release,
            namespace=namespace,
            create_namespace=False,
            values=dict(values),
            wait=wait,
            timeout=RELEASE_READY_TIMEOUT if wait else None,
        )
        acknowledge(
            cluster.node.find_child("KubectlProvider"),
            "aws-cdk-lib's HelmChart lets the kubectl provider read chart assets: read-only object and bucket"
            " wildcards confined to the CDK asset bucket, which the finding names",
            *_asset_bucket_read_findings(Stack.of(self)),
        )


def _asset_bucket_read_findings(stack: Stack) -> list[str]:
    """The IAM5 findings of ``bucket.grantRead`` on the default CDK asset bucket of ``stack``."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.region) else RegionInfo.get(stack.region).partition
    bucket = f"cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-{account}-{region}"
    actions = ("Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*")
    return iam5(*actions, f"Resource::arn:{partition}:s3:::{bucket}/*")
