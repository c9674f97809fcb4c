"""Kubernetes custom resources wait for the kubectl provider's log groups."""

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, Stack
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

KUBERNETES_RESOURCE_PREFIX = "Custom::AWSCDK-EKS-"


class KubectlLogGroupsFirst(Construct):
    """At synth, every ``Custom::AWSCDK-EKS-*`` resource of the stack (manifest, patch, Helm chart, whoever adds it,
    even after the stack's constructor) DependsOn each log group under the kubectl provider.

    With ``@aws-cdk/aws-lambda:useCdkManagedLogGroup`` the provider's functions get CDK-managed
    ``/aws/lambda/<function>`` log groups, created in the same wave as the resources that invoke the functions. A
    function that logs first makes Lambda create the group, and the group's own create fails with "already exists".
    The group names reference the functions, so the functions cannot wait for their groups: the resources must.
    """

    def __init__(self, scope: Construct, construct_id: str, *, provider: IConstruct) -> None:
        super().__init__(scope, construct_id)
        # An aspect on this empty construct is visited once, after every construct of the stack exists. (An aspect
        # on the stack would be called back from Node.js for each of its hundreds of constructs, a round trip each.)
        Aspects.of(self).add(_AddDependencies(self, provider))


@jsii.implements(IAspect)
class _AddDependencies:
    def __init__(self, owner: KubectlLogGroupsFirst, provider: IConstruct) -> None:
        self._owner = owner
        self._provider = provider

    def visit(self, node: IConstruct) -> None:
        if node is not self._owner:
            return
        log_groups = [child for child in self._provider.node.find_all() if isinstance(child, logs.CfnLogGroup)]
        for resource in _kubernetes_resources(Stack.of(self._owner)):
            for log_group in log_groups:
                resource.add_resource_dependency(log_group)


def _kubernetes_resources(stack: Stack) -> list[CfnResource]:
    """The stack's ``Custom::AWSCDK-EKS-*`` resources. A custom resource is a plain CfnResource; L1 classes
    (CfnSubnet, ...) are subclasses whose type is never ``Custom::``, so their type is not even asked for."""
    return [
        child
        for child in stack.node.find_all()
        if type(child) is CfnResource and child.cfn_resource_type.startswith(KUBERNETES_RESOURCE_PREFIX)
    ]
