"""One ENIConfig per AZ: tells the VPC CNI which subnet and security groups a node's pod ENIs get."""

from typing import Any

import cdk8s
from constructs import Construct

ENI_CONFIG_API_VERSION = "crd.k8s.amazonaws.com/v1alpha1"


class EniConfigChart(cdk8s.Chart):
    """ENIConfigs named after the AZ (aws-node selects them by the node's topology.kubernetes.io/zone label).

    ``spec.securityGroups`` is a list (the CRD silently ignores a misspelt key or a map), holding the cluster
    security group the nodes also carry, so pods and nodes reach each other and the control plane.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, subnet_ids: dict[str, str], security_group_ids: list[str]
    ) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        for zone, subnet_id in subnet_ids.items():
            eni_config = cdk8s.ApiObject(
                self, zone, api_version=ENI_CONFIG_API_VERSION, kind="ENIConfig", metadata={"name": zone}
            )
            spec: dict[str, Any] = {"subnet": subnet_id, "securityGroups": security_group_ids}
            eni_config.add_json_patch(cdk8s.JsonPatch.add("/spec", spec))
