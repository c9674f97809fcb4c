"""The imports of a synth that are pure Python, run on a thread while Node.js loads the jsii packages.

Importing ``aws_cdk``, ``cdk_nag`` and ``cdk8s`` makes the jsii kernel (Node.js) load their packages while Python only
waits; importing aws-cdk-lib's service modules and podnet's configuration code is Python work that calls nothing in
Node.js. app.py runs the two side by side: about 0.25 s of a default synth on an idle 2-core machine (none when both
cores are busy). tests/test_pure_imports.py checks that these imports call nothing in Node.js (the jsii kernel serves
one thread at a time) and that the list covers every aws-cdk-lib module a default synth imports.
"""

import importlib
import threading

#: podnet's configuration code (pydantic, YAML): needs nothing from aws_cdk.
CONFIG_MODULE = "podnet.config.app_config"
#: aws-cdk-lib's service modules the stacks and constructs use (the pipeline's load only in a pipeline synth).
CDK_MODULES = (
    "aws_cdk.aws_autoscaling",
    "aws_cdk.aws_cloudwatch",
    "aws_cdk.aws_cloudwatch_actions",
    "aws_cdk.aws_ec2",
    "aws_cdk.aws_eks_v2",
    "aws_cdk.aws_events",
    "aws_cdk.aws_events_targets",
    "aws_cdk.aws_iam",
    "aws_cdk.aws_kms",
    "aws_cdk.aws_lambda",
    "aws_cdk.aws_logs",
    "aws_cdk.aws_s3_assets",
    "aws_cdk.aws_sns",
    "aws_cdk.aws_sqs",
    "aws_cdk.custom_resources",
    "aws_cdk.region_info",
)


def import_pure_modules(cdk_loaded: threading.Event) -> None:
    """Import the configuration code at once and aws-cdk-lib's modules once ``cdk_loaded`` is set: importing one
    before ``aws_cdk`` itself would load aws-cdk-lib into Node.js from this thread."""
    importlib.import_module(CONFIG_MODULE)
    cdk_loaded.wait()
    for module in CDK_MODULES:
        importlib.import_module(module)
