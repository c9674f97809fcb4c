"""The kube-system/aws-auth ConfigMap that lets the self-managed nodes join."""

import cdk8s
import yaml
from constructs import Construct

NODE_GROUPS = ("system:bootstrappers", "system:nodes")


class AwsAuthChart(cdk8s.Chart):
    """Maps the node role **ARN** (a role name is silently ignored) to the kubelet's identity.

    The cluster's authentication mode is API_AND_CONFIG_MAP, so EKS honours this ConfigMap.
    """

    def __init__(self, scope: Construct, construct_id: str, *, node_role_arn: str) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        map_roles = [
            {"rolearn": node_role_arn, "username": "system:node:{{EC2PrivateDNSName}}", "groups": list(NODE_GROUPS)}
        ]
        config_map = cdk8s.ApiObject(
            self,
            "aws-auth",
            api_version="v1",
            kind="ConfigMap",
            metadata={"name": "aws-auth", "namespace": "kube-system"},
        )
        config_map.add_json_patch(
            cdk8s.JsonPatch.add("/data", {"mapRoles": yaml.safe_dump(map_roles, default_flow_style=False)})
        )
