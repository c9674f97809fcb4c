#!/usr/bin/env python3
"""The floor `make bench` compares podnet's synth with: the least an aws_eks_v2 app can be (a VPC, a cluster with the
kubectl layer, nothing else), synthesized the same way (same CDK CLI, Node.js, cdk.json feature flags).

``--exit-like-podnet`` ends it as app.py does (podnet/stacks/synth_exit.py), so the bench can also show podnet's
cost beside a floor that skips the same graceful shutdown.
"""

import sys

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.lambda_layer_kubectl_v36 import KubectlV36Layer


def main() -> None:
    app = App()
    stack = Stack(app, "floor", env=Environment(region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"])
    eks.Cluster(
        stack,
        "Cluster",
        version=eks.KubernetesVersion.V1_36,
        vpc=vpc,
        kubectl_provider_options=eks.KubectlProviderOptions(kubectl_layer=KubectlV36Layer(stack, "KubectlLayer")),
    )
    app.synth()
    if "--exit-like-podnet" in sys.argv[1:]:
        from podnet.stacks.synth_exit import exit_after_synth

        exit_after_synth(app.outdir)


if __name__ == "__main__":
    main()
