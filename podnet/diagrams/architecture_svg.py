"""The picture of what ``cdk deploy`` creates, drawn from the synthesized CloudFormation templates.

Everything written on it is read from the templates (CIDRs, zones, group sizes, names, descriptions, counts), so the
picture changes when the app does. Zones are columns: each with its public subnet and NAT gateway, its node subnet
and spot group, its pod subnet and ENIConfig. Below them the control plane, then what runs cluster-wide.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from podnet.diagrams import svg

WIDTH = 1100
MARGIN = 20
LINE = 15
FILL = {
    "public": "#cfe3f7",
    "node": "#cdebc5",
    "pod": "#fbd9b0",
    "vpc": "#fafafa",
    "cluster": "#e4dcf5",
    "panel": "#f3f3f3",
}
ZONE_TAG = "k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone"

Resource = dict[str, Any]


def read_templates(assembly: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> template, for every stack of a cloud assembly (``cdk.out``) at its top level."""
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    return {
        name: json.loads((assembly / artifact["properties"]["templateFile"]).read_text(encoding="utf-8"))
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


@dataclass
class Zone:
    """What one Availability Zone holds."""

    public: list[str] = field(default_factory=list)
    nat_gateways: int = 0
    node: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    pod: list[str] = field(default_factory=list)
    eni_configs: list[str] = field(default_factory=list)


def architecture_svg(templates: dict[str, dict[str, Any]]) -> str:
    """The diagram of the stacks in ``templates`` (stack name -> template) as an SVG document."""
    resources = [(stack, lid, r) for stack, t in templates.items() for lid, r in t.get("Resources", {}).items()]

    def of_type(resource_type: str) -> list[tuple[str, Resource]]:
        return [(lid, r.get("Properties", {})) for _, lid, r in resources if r["Type"] == resource_type]

    pod_blocks = [IPv4Network(p["CidrBlock"]) for _, p in of_type("AWS::EC2::VPCCidrBlock")]
    zones: dict[str, Zone] = {}
    subnet_zone: dict[str, str] = {}
    for lid, props in of_type("AWS::EC2::Subnet"):
        cidr, zone = IPv4Network(props["CidrBlock"]), zones.setdefault(props["AvailabilityZone"], Zone())
        subnet_zone[lid] = props["AvailabilityZone"]
        if any(cidr.subnet_of(block) for block in pod_blocks):
            zone.pod.append(f"pod subnet {cidr}")
        elif _tag(props, "aws-cdk:subnet-type") == "Public":
            zone.public.append(f"public subnet {cidr}")
        else:
            zone.node.append(f"node subnet {cidr}")
    for _, props in of_type("AWS::EC2::NatGateway"):
        zones[subnet_zone[_subnet_ref(props["SubnetId"], subnet_zone)]].nat_gateways += 1
    for _, props in of_type("AWS::AutoScaling::AutoScalingGroup"):
        zone_name = _tag(props, ZONE_TAG) or subnet_zone.get(_subnet_ref(props["VPCZoneIdentifier"][0], subnet_zone))
        sizes = f"min {props['MinSize']}, max {props['MaxSize']}"
        if "DesiredCapacity" in props:
            sizes += f", desired {props['DesiredCapacity']}"
        zone = zones.setdefault(zone_name or "zone not in the templates", Zone())
        zone.groups.append(f"{_purchase(props)}Auto Scaling group ({sizes})")
        subnet = props["VPCZoneIdentifier"][0]
        if isinstance(subnet, str):  # an existing VPC's node subnet, by its literal id
            zone.node.append(f"existing node subnet {subnet}")
    manifests = [obj for _, p in of_type("Custom::AWSCDK-EKS-KubernetesResource") for obj in _objects(p["Manifest"])]
    for obj in manifests:
        if obj["kind"] == "ENIConfig":
            zones.setdefault(obj["metadata"]["name"], Zone()).eni_configs.append(f"ENIConfig {obj['metadata']['name']}")

    body: list[str] = []
    title = "What cdk deploy creates: " + ", ".join(templates)
    body.append(svg.text(MARGIN, 26, title, size=16, weight="bold"))
    vpcs = [p["CidrBlock"] for _, p in of_type("AWS::EC2::VPC")]
    existing = sorted({str(p["VpcId"]) for _, p in of_type("AWS::EC2::VPCCidrBlock") if isinstance(p["VpcId"], str)})
    vpc_caption = (
        f"VPC {', '.join(vpcs)}" if vpcs else f"existing VPC {', '.join(existing)} (not created: podnet adds to it)"
    )
    vpc_caption += "".join(f" + pod block {block}" for block in pod_blocks)
    extras = _count(of_type("AWS::EC2::InternetGateway"), "internet gateway") + _count(
        of_type("AWS::EC2::FlowLog"), "VPC flow log"
    )
    top = 40.0
    columns = sorted(zones)
    column_width = (WIDTH - 2 * MARGIN - 20 - 10 * (len(columns) - 1)) / max(len(columns), 1)
    heights = [0.0, 0.0, 0.0]
    for name in columns:
        zone = zones[name]
        rows = [
            zone.public + ([f"NAT gateway x{zone.nat_gateways}"] if zone.nat_gateways else []),
            zone.node + zone.groups,
            zone.pod + zone.eni_configs,
        ]
        for index, lines in enumerate(rows):
            heights[index] = max(heights[index], 10 + LINE * len(lines))
    inner = top + 44
    zone_height = 24 + sum(h + 8 for h in heights if h > 10)
    body.append(svg.rect(MARGIN, top, WIDTH - 2 * MARGIN, zone_height + 54, FILL["vpc"]))
    body.append(svg.text(MARGIN + 10, top + 20, vpc_caption, size=13, weight="bold"))
    if extras:
        body.append(svg.text(MARGIN + 10, top + 36, "; ".join(extras)))
    for index, name in enumerate(columns):
        zone = zones[name]
        x = MARGIN + 10 + index * (column_width + 10)
        body.append(svg.rect(x, inner, column_width, zone_height, "white", stroke="#999"))
        body.append(
            svg.text(x + column_width / 2, inner + 16, f"Availability Zone {name}", anchor="middle", weight="bold")
        )
        y = inner + 24
        for kind, lines, height in (
            ("public", zone.public + ([f"NAT gateway x{zone.nat_gateways}"] if zone.nat_gateways else []), heights[0]),
            ("node", zone.node + zone.groups, heights[1]),
            ("pod", zone.pod + zone.eni_configs, heights[2]),
        ):
            if height <= 10:
                continue
            if lines:
                body.append(svg.rect(x + 8, y, column_width - 16, height, FILL[kind]))
                for row, text in enumerate(lines):
                    body.append(svg.text(x + 14, y + 15 + row * LINE, text))
            y += height + 8
    y = top + zone_height + 54 + 14

    cluster_lines = _cluster(of_type)
    height = 26 + LINE * len(cluster_lines)
    body.append(svg.rect(MARGIN, y, WIDTH - 2 * MARGIN, height, FILL["cluster"]))
    for row, text in enumerate(cluster_lines):
        body.append(svg.text(MARGIN + 10, y + 18 + row * LINE, text, weight="bold" if row == 0 else "normal"))
    y += height + 14

    panels = _panels(of_type, manifests)
    panel_width = (WIDTH - 2 * MARGIN - 20) / 3
    for start in range(0, len(panels), 3):
        row_panels = panels[start : start + 3]
        wrapped = [
            (caption, [part for text in lines for part in _wrap(text, panel_width - 20)])
            for caption, lines in row_panels
        ]
        row_height = max(30 + LINE * len(lines) for _, lines in wrapped)
        for index, (caption, lines) in enumerate(wrapped):
            x = MARGIN + index * (panel_width + 10)
            body.append(svg.rect(x, y, panel_width, row_height, FILL["panel"]))
            body.append(svg.text(x + 10, y + 18, caption, weight="bold"))
            for row, text in enumerate(lines):
                indent = 22 if text.startswith(" ") else 10
                body.append(svg.text(x + indent, y + 34 + row * LINE, text.strip()))
        y += row_height + 10
    total = len(resources)
    body.append(svg.text(MARGIN, y + 14, f"Drawn from the synthesized templates ({total} resources in all)."))
    return svg.document(WIDTH, y + 26, title, body)


def _cluster(of_type: Any) -> list[str]:
    lines = []
    for _, props in of_type("AWS::EKS::Cluster"):
        vpc_config = props.get("ResourcesVpcConfig", {})
        endpoint = "+".join(
            name
            for name, on in (
                ("public", vpc_config.get("EndpointPublicAccess", True)),
                ("private", vpc_config.get("EndpointPrivateAccess", False)),
            )
            if on
        )
        logs = [t["Type"] for t in props.get("Logging", {}).get("ClusterLogging", {}).get("EnabledTypes", [])]
        secrets = "secrets encrypted with a KMS key" if props.get("EncryptionConfig") else "secrets not encrypted"
        lines.append(f"EKS cluster {props.get('Name', '')}: Kubernetes {props.get('Version', '')}")
        lines.append(
            f"API endpoint {endpoint}; {secrets}; control-plane logs: {', '.join(logs) or 'none'};"
            f" authentication mode {props.get('AccessConfig', {}).get('AuthenticationMode', 'default')}"
        )
        lines.append(
            "control-plane network interfaces in the node subnets; nodes join the cluster, pods use the pod subnets"
        )
    return lines


def _panels(of_type: Any, manifests: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    kinds = Counter(f"{obj['kind']} {obj['metadata']['name']}" for obj in manifests if obj["kind"] != "ENIConfig")
    eni_configs = sum(1 for obj in manifests if obj["kind"] == "ENIConfig")
    patches = [
        f"patch {p.get('ResourceName', '')} ({p.get('ResourceNamespace', '')})"
        for _, p in of_type("Custom::AWSCDK-EKS-KubernetesPatch")
    ]
    kubernetes = [f"Helm release {p['Release']}" for _, p in of_type("Custom::AWSCDK-EKS-HelmChart")]
    kubernetes += sorted(kinds) + patches + ([f"ENIConfig x{eni_configs} (one per zone, above)"] if eni_configs else [])
    identity = [f"EKS add-on {p['AddonName']}" for _, p in of_type("AWS::EKS::Addon")]
    identity += [
        f"Pod Identity: {p['Namespace']}/{p['ServiceAccount']}" for _, p in of_type("AWS::EKS::PodIdentityAssociation")
    ]
    identity += _count(of_type("AWS::EKS::AccessEntry"), "access entry", "access entries")
    identity += _count(of_type("AWS::IAM::Role"), "IAM role")
    nodes = _count(of_type("AWS::EC2::LaunchTemplate"), "launch template")
    nodes += _count(of_type("AWS::AutoScaling::LifecycleHook"), "lifecycle hook")
    nodes += _count(of_type("AWS::SQS::Queue"), "SQS queue (termination events)")
    for lid, props in of_type("AWS::Events::Rule"):
        pattern = props.get("EventPattern")
        what = ", ".join(pattern.get("detail-type", [])) if pattern else props.get("ScheduleExpression", lid)
        nodes.append(f"EventBridge rule: {what}")
    monitoring = [
        f"CloudWatch alarm on {p.get('MetricName', '?')}"
        + next((f" {d['Value']}" for d in p.get("Dimensions", []) if d["Name"] == "AvailabilityZone"), "")
        for _, p in of_type("AWS::CloudWatch::Alarm")
    ]
    functions = [p.get("Description", "") for _, p in of_type("AWS::Lambda::Function")]
    own = [d for d in functions if isinstance(d, str) and d.startswith("podnet: ")]
    monitoring += [f"Lambda: {_short(d)}" for d in own]
    monitoring += _count(
        [d for d in functions if d not in own],
        "CDK helper Lambda function (custom resources)",
        "CDK helper Lambda functions (kubectl provider, custom resources)",
    )
    encryption = [f"KMS key: {_short(p.get('Description', lid))}" for lid, p in of_type("AWS::KMS::Key")]
    encryption += _count(of_type("AWS::Logs::LogGroup"), "log group")
    encryption += _count(of_type("Custom::PodnetTeardownCleanup"), "teardown cleanup (runs on delete)")
    panels = [
        ("Kubernetes objects (applied by the kubectl provider)", kubernetes),
        ("Nodes and their lifecycle", nodes),
        ("Identity and access", identity),
        ("Monitoring and functions", monitoring),
        ("Encryption, logs and teardown", encryption),
    ]
    return [(caption, lines) for caption, lines in panels if lines]


def _purchase(props: Resource) -> str:
    """How a group buys its instances, from its instances distribution: "spot ", "on-demand " or both."""
    distribution = props.get("MixedInstancesPolicy", {}).get("InstancesDistribution")
    if distribution is None:
        return ""
    base = int(distribution.get("OnDemandBaseCapacity", 0))
    above = int(distribution.get("OnDemandPercentageAboveBaseCapacity", 100))
    if above == 100 or base >= int(props["MaxSize"]):
        return "on-demand "
    return "spot " if base == 0 and above == 0 else "spot and on-demand "


def _count(items: list[Any], singular: str, plural: str = "") -> list[str]:
    if not items:
        return []
    return [singular if len(items) == 1 else f"{len(items)} {plural or singular + 's'}"]


def _short(description: str | Any) -> str:
    text = description if isinstance(description, str) else "(generated)"
    return text.removeprefix("podnet: ")


def _wrap(text: str, width: float) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` pixels; continuation lines indented."""
    limit = int(width / (11 * svg.CHAR_WIDTH_EM))
    lines = [""]
    for word in text.split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append("   ")
        lines[-1] = f"{lines[-1]} {word}" if lines[-1].strip() else f"{lines[-1]}{word}"
    return lines


def _tag(props: Resource, key: str) -> str | None:
    return next((str(tag["Value"]) for tag in props.get("Tags", []) if tag["Key"] == key), None)


def _subnet_ref(value: Any, subnets: dict[str, str]) -> str:
    """The logical id of the subnet ``value`` points to: a Ref in the same stack or an import of another's."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        export = str(value["Fn::ImportValue"])
        return next((lid for lid in subnets if lid in export), export)
    return str(value)


def _objects(manifest: Any) -> list[dict[str, Any]]:
    """The Kubernetes objects of a manifest property, CloudFormation tokens written as ``<LogicalId>``."""
    loaded = json.loads(_render(manifest))
    return loaded if isinstance(loaded, list) else [loaded]


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps(value)
