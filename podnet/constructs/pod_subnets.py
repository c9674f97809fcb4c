"""The secondary CIDR blocks for pods and one pod subnet per AZ inside them."""

from collections.abc import Mapping, Sequence
from ipaddress import IPv4Network

from aws_cdk import Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from podnet.nag import acknowledge

#: Subnet discovery's tag (VPC CNI v1.22.4, pkg/awsutils/awsutils.go ``subnetDiscoveryTagKey``): 1 takes pod ENIs,
#: 0 excludes the subnet, the node's own included.
SUBNET_DISCOVERY_TAG = "kubernetes.io/role/cni"
#: Prefix of the tag that scopes a subnet to clusters (same file, ``clusterTagKeyPrefix``), followed by the name.
CLUSTER_TAG_PREFIX = "cni.networking.k8s.aws/cluster/"


class PodSubnets(Construct):
    """Associates ``podCidr`` (and any additional pod blocks) with the VPC and creates the pod subnets the
    ENIConfigs point to.

    Each subnet DependsOn the association of its block (otherwise CloudFormation may create it first and fail with
    InvalidSubnet.Range) and uses its AZ's private route table, so pod traffic follows the node subnets'
    routes (also when AWS_VPC_K8S_CNI_EXTERNALSNAT=true sends it straight to the NAT gateway).
    Pod subnets carry no load-balancer role tags: load balancers belong in the node subnets.
    With prefix delegation, ``prefix_reservations`` (pod subnet -> CIDRs, podnet.ipplan.prefixes) become subnet
    CIDR reservations of type ``prefix``, so ENI primary IPs cannot fragment the /28s pods need. With
    ``subnet_discovery`` every pod subnet carries the VPC CNI's discovery tags, and ``discovery_subnet_cidrs`` adds
    more pod subnets per zone (no ENIConfig names them; the CNI finds them by tag).

    It belongs in the cluster stack, with the ENIConfigs and nodes that use the subnets: no CloudFormation export
    pins a subnet id, and one stack update orders a change (new subnet, ENIConfig, rolling update of the nodes,
    then the old subnet's deletion in the cleanup phase).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        pod_cidrs: Sequence[IPv4Network],
        subnet_cidrs: Mapping[str, IPv4Network],
        node_subnets: Mapping[str, ec2.ISubnet],
        cluster_name: str,
        prefix_reservations: Mapping[IPv4Network, list[IPv4Network]],
        discovery_subnet_cidrs: Mapping[str, Sequence[IPv4Network]],
        subnet_discovery: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._vpc = vpc
        self._pod_cidrs = pod_cidrs
        self._node_subnets = node_subnets
        self._cluster_name = cluster_name
        self._prefix_reservations = prefix_reservations
        self._subnet_discovery = subnet_discovery
        first, *more = pod_cidrs
        #: Block -> its association with the VPC. podCidr keeps the id it always had; additional blocks are named
        #: after their CIDR, so removing one from the list never changes (and replaces) another.
        self.cidr_blocks = {first: ec2.CfnVPCCidrBlock(self, "PodCidr", vpc_id=vpc.vpc_id, cidr_block=str(first))}
        for block in more:
            block_id = f"PodCidr-{block.network_address}-{block.prefixlen}"
            self.cidr_blocks[block] = ec2.CfnVPCCidrBlock(self, block_id, vpc_id=vpc.vpc_id, cidr_block=str(block))
        #: AZ name -> its first pod subnet (the one an ENIConfig names), in the order of ``subnet_cidrs``.
        self.subnets: dict[str, ec2.CfnSubnet] = {
            zone: self._subnet(f"PodSubnet-{zone}", zone, cidr) for zone, cidr in subnet_cidrs.items()
        }
        #: AZ name -> its further pod subnets (subnet discovery), named after their CIDR so that adding a block adds
        #: subnets and changes none.
        self.discovery_subnets: dict[str, list[ec2.CfnSubnet]] = {
            zone: [
                self._subnet(f"PodSubnet-{zone}-{cidr.network_address}-{cidr.prefixlen}", zone, cidr) for cidr in cidrs
            ]
            for zone, cidrs in discovery_subnet_cidrs.items()
        }
        acknowledge(
            self,
            "availabilityZones are explicit settings so synth needs no AWS lookup; validation checks them against"
            " the region",
            "CloudFormation-Validate::W3010",
        )

    @property
    def all_subnets(self) -> list[ec2.CfnSubnet]:
        """Every pod subnet, first ones first."""
        return [*self.subnets.values(), *(subnet for more in self.discovery_subnets.values() for subnet in more)]

    def _subnet(self, subnet_id: str, zone: str, cidr: IPv4Network) -> ec2.CfnSubnet:
        """One pod subnet: after its block's association, on its zone's node route table, tagged for the CNI."""
        subnet = ec2.CfnSubnet(self, subnet_id, vpc_id=self._vpc.vpc_id, availability_zone=zone, cidr_block=str(cidr))
        (block,) = [block for block in self._pod_cidrs if cidr.subnet_of(block)]
        subnet.add_resource_dependency(self.cidr_blocks[block])
        Tags.of(subnet).add("Name", f"{self._cluster_name}-pods-{zone}")
        Tags.of(subnet).add(f"kubernetes.io/cluster/{self._cluster_name}", "shared")
        if self._subnet_discovery:
            # The VPC CNI (v1.22.4 pkg/awsutils/awsutils.go, isSubnetValidForENICreation) takes a subnet other than
            # the node's own only with kubernetes.io/role/cni=1, and with CLUSTER_NAME set only when its cluster
            # tags (prefix cni.networking.k8s.aws/cluster/) include this cluster's.
            Tags.of(subnet).add(SUBNET_DISCOVERY_TAG, "1")
            Tags.of(subnet).add(f"{CLUSTER_TAG_PREFIX}{self._cluster_name}", "1")
        ec2.CfnSubnetRouteTableAssociation(
            self,
            subnet_id.replace("PodSubnet", "PodRoutes", 1),
            subnet_id=subnet.attr_subnet_id,
            route_table_id=self._node_subnets[zone].route_table.route_table_id,
        )
        for reserved in self._prefix_reservations.get(cidr, []):
            ec2.CfnSubnetCidrReservation(
                self,
                f"PrefixReservation-{zone}-{reserved.network_address}-{reserved.prefixlen}",
                subnet_id=subnet.attr_subnet_id,
                cidr=str(reserved),
                reservation_type="prefix",
                description=f"{self._cluster_name}: /28 prefixes for pods (prefix delegation), never ENI primary IPs",
            )
        return subnet
