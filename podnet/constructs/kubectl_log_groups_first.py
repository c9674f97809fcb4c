"""Kubernetes custom resources wait for the kubectl provider's log groups."""

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

KUBERNETES_RESOURCE_PREFIX = "Custom::AWSCDK-EKS-"
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"


@jsii.implements(IAspect)
class KubectlLogGroupsFirst:
    """Aspect: every ``Custom::AWSCDK-EKS-*`` resource (manifest, patch, Helm chart, whoever adds it) DependsOn
    each log group under the kubectl provider.

    With ``@aws-cdk/aws-lambda:useCdkManagedLogGroup`` the provider's functions get CDK-managed
    ``/aws/lambda/<function>`` log groups, created in the same wave as the resources that invoke the functions. A
    function that logs first makes Lambda create the group, and the group's own create fails with "already exists".
    """

    def __init__(self, provider: IConstruct) -> None:
        self._provider = provider

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_resource_type.startswith(KUBERNETES_RESOURCE_PREFIX):
            for log_group in self._log_groups():
                node.add_resource_dependency(log_group)

    def _log_groups(self) -> list[CfnResource]:
        """Found at visit time: the provider's functions may add their log groups after this aspect is created."""
        return [
            child
            for child in self._provider.node.find_all()
            if isinstance(child, CfnResource) and child.cfn_resource_type == LOG_GROUP_TYPE
        ]
