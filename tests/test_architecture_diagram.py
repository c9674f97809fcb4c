"""The architecture diagram names what the synthesized templates create, and nothing it cannot read there."""

from ipaddress import IPv4Network
from xml.etree import ElementTree

from podnet.diagrams.architecture_svg import architecture_svg
from tests.support.synth import Synthesized

SVG = "{http://www.w3.org/2000/svg}"


def _written(app: Synthesized) -> list[str]:
    templates = {f"{app.config.cluster_name}-{stack}": getattr(app, stack) for stack in ("network", "cluster")}
    root = ElementTree.fromstring(architecture_svg({name: t for name, t in templates.items() if t is not None}))
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def _subnets(app: Synthesized) -> list[str]:
    return [
        r["Properties"]["CidrBlock"]
        for stack in ("network", "cluster")
        if getattr(app, stack) is not None
        for r in app.template(stack)["Resources"].values()
        if r["Type"] == "AWS::EC2::Subnet"
    ]


def test_default_diagram_names_the_main_resources(default_app: Synthesized) -> None:
    written = _written(default_app)
    text = "\n".join(written)
    config = default_app.config
    assert f"VPC {config.vpc_cidr} + pod block {config.pod_cidr}" in written
    assert "EKS cluster podnet: Kubernetes 1.36" in written
    for cidr in _subnets(default_app):
        kind = "pod" if IPv4Network(cidr).subnet_of(IPv4Network("100.64.0.0/16")) else "public|node"
        assert any(line.endswith(f"subnet {cidr}") and line.split()[0] in kind for line in written), cidr
    zones = default_app.config.availability_zones
    assert [f"Availability Zone {zone}" for zone in zones] == [line for line in written if line.startswith("Availab")]
    assert written.count("NAT gateway x1") == 3
    assert sum(line.startswith("spot Auto Scaling group (min ") for line in written) == 3
    system_groups = [
        lid for lid in default_app.resources("cluster", "AWS::AutoScaling::AutoScalingGroup") if "System" in lid
    ]
    assert system_groups  # the on-demand system nodes (podnet/constructs/system_nodes.py)
    assert sum(line.startswith("on-demand Auto Scaling group (min ") for line in written) == len(system_groups)
    assert [f"ENIConfig {zone}" for zone in zones] == [line for line in written if line.startswith("ENIConfig us")]
    for name in (
        "Helm release aws-node-termination-handler",
        "Helm release cluster-autoscaler",
        "ConfigMap aws-auth",
        "patch daemonset/aws-node (kube-system)",
        "SQS queue (termination events)",
        "KMS key: podnet Kubernetes secrets",
        "CloudWatch alarm on FreePodIpPercent us-east-1a",
        "CloudWatch alarm on PodSubnetsReported",
        "EKS add-on eks-pod-identity-agent",
    ):
        assert name in text, name
    assert "secrets encrypted with a KMS key" in text and "API endpoint private;" in text


def test_existing_vpc_diagram_says_the_vpc_is_not_created(existing_vpc_app: Synthesized) -> None:
    written = _written(existing_vpc_app)
    existing = existing_vpc_app.config.existing_vpc
    assert existing is not None
    vpc_id = existing.vpc_id
    assert any(line.startswith(f"existing VPC {vpc_id} (not created") for line in written)
    assert not any("NAT gateway" in line or line.startswith("public subnet") for line in written)
    for cidr in _subnets(existing_vpc_app):
        assert f"pod subnet {cidr}" in written
    for node_subnet in existing.node_subnets.values():
        assert f"existing node subnet {node_subnet.subnet_id}" in written
