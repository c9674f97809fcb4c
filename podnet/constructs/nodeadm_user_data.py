"""AL2023 user data: a MIME multipart document holding a nodeadm NodeConfig (no bootstrap.sh on AL2023), and the
script that tells CloudFormation when the node is Ready (the gate of every node roll)."""

import shlex
from collections.abc import Sequence
from typing import Any

import yaml
from aws_cdk import aws_ec2 as ec2

NODECONFIG_CONTENT_TYPE = "application/node.eks.aws"
SHELL_SCRIPT_CONTENT_TYPE = "text/x-shellscript"

#: Tags each node group gives its instances (PropagateAtLaunch): where the node's Ready signal goes. One launch
#: template serves every group, so the group's logical id cannot be in the user data.
SIGNAL_STACK_TAG = "podnet:ready-signal-stack"
SIGNAL_RESOURCE_TAG = "podnet:ready-signal-resource"

#: Seconds between two looks at the Node object.
READY_POLL_SECONDS = 10

#: A shell script part beside the NodeConfig part: nodeadm reads only ``application/node.eks.aws`` parts and cloud-init
#: runs the script (awslabs/amazon-eks-ami, nodeadm/test/e2e/cases/mime-userdata-merge/config.yaml mixes the two).
#: Runs detached from cloud-init (systemd-run), so it waits for Ready whatever the order of cloud-init and nodeadm.
#: Arguments: cluster name, API server endpoint, seconds to wait, seconds between two looks.
#: - The node's name is its EC2 PrivateDnsName: nodeadm sets --hostname-override to it (awslabs/amazon-eks-ami,
#:   nodeadm/internal/kubelet/config.go, withCloudProvider), and aws-auth / the EC2_LINUX access entry map the node
#:   role to system:node:{{EC2PrivateDNSName}}.
#: - It authenticates as kubelet does: nodeadm's kubeconfig (/var/lib/kubelet/kubeconfig) runs aws-iam-authenticator
#:   with the instance role, and `aws eks get-token` (AWS CLI v2, on AL2023) makes the same kind of token for the
#:   same role. The Node authorizer lets a node read its own Node object (Kubernetes docs, "Using Node
#:   Authorization"). The CA is the file nodeadm writes, /etc/kubernetes/pki/ca.crt.
#: - python3 reads the JSON: cloud-init, which runs this user data, is itself Python.
#: - `aws cloudformation signal-resource` (the node role may signal its own stack only) counts the instance as one
#:   of its batch (WaitOnResourceSignals) or its creation (CreationPolicy); FAILURE, sent when the wait runs out,
#:   fails the batch at once. Outside an update or creation CloudFormation refuses the signal, which is harmless.
READY_SIGNAL_SCRIPT = r"""#!/bin/bash
set -uo pipefail
cluster=$1 endpoint=$2 deadline=$((SECONDS + $3)) poll=$4
imds() {
  local token
  token=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) &&
    curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
own() {
  aws ec2 describe-instances --instance-ids "$instance" --output text --query "Reservations[0].Instances[0].[
    PrivateDnsName,
    Tags[?Key=='podnet:ready-signal-stack']|[0].Value,
    Tags[?Key=='podnet:ready-signal-resource']|[0].Value]"
}
ready() {
  local token
  token=$(aws eks get-token --cluster-name "$cluster" --output json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["status"]["token"])') &&
    curl -sf --cacert /etc/kubernetes/pki/ca.crt -H "Authorization: Bearer $token" "$endpoint/api/v1/nodes/$node" |
    python3 -c 'import json, sys; conditions = json.load(sys.stdin)["status"].get("conditions", [])
sys.exit(not any(c["type"] == "Ready" and c["status"] == "True" for c in conditions))'
}
until region=$(imds placement/region) && instance=$(imds instance-id); do
  [ "$SECONDS" -lt "$deadline" ] || { echo "no instance metadata" >&2; exit 1; }
  sleep "$poll"
done
export AWS_DEFAULT_REGION=$region
until read -r node stack resource < <(own) && [ "$resource" != None ]; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "no $instance tags to signal with" >&2; exit 1; }
  sleep "$poll"
done
status=FAILURE
while :; do
  if ready; then status=SUCCESS; break; fi
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep "$poll"
done
echo "node $node: $status"
exec aws cloudformation signal-resource --stack-name "$stack" --logical-resource-id "$resource" \
  --unique-id "$instance" --status "$status"
"""

READY_SIGNAL_PATH = "/usr/local/bin/podnet-ready-signal"


def node_config(
    *,
    cluster_name: str,
    api_server_endpoint: str,
    certificate_authority: str,
    service_cidr: str,
    max_pods: str,
    kubelet_flags: Sequence[str] = (),
) -> dict[str, Any]:
    """The NodeConfig a self-managed node needs to join, with a per-instance max-pods CEL expression.

    ``maxPodsExpression`` (not a static ``kubelet.config.maxPods``): nodeadm sizes kube-reserved memory from
    the value it computes, so the expression keeps both right for every instance type of the spot pool.
    ``kubelet_flags`` (``--node-labels``, ``--register-with-taints``) go to ``kubelet.flags``.
    """
    kubelet: dict[str, Any] = {"maxPodsExpression": max_pods}
    if kubelet_flags:
        kubelet["flags"] = list(kubelet_flags)
    return {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {
            "cluster": {
                "name": cluster_name,
                "apiServerEndpoint": api_server_endpoint,
                "certificateAuthority": certificate_authority,
                "cidr": service_cidr,
            },
            "kubelet": kubelet,
        },
    }


def ready_signal_part(*, cluster_name: str, api_server_endpoint: str, wait_seconds: int) -> str:
    """The shell script part: installs the Ready-signal script and starts it as its own systemd unit."""
    arguments = " ".join([shlex.quote(cluster_name), api_server_endpoint, str(wait_seconds), str(READY_POLL_SECONDS)])
    return (
        "#!/bin/bash\n"
        "# podnet: signal CloudFormation once this instance's node is Ready (podnet/constructs/nodeadm_user_data.py)\n"
        f"cat > {READY_SIGNAL_PATH} <<'READY_SIGNAL'\n{READY_SIGNAL_SCRIPT}READY_SIGNAL\n"
        f"chmod 0755 {READY_SIGNAL_PATH}\n"
        f"systemd-run --unit=podnet-ready-signal --no-block {READY_SIGNAL_PATH} {arguments}\n"
    )


def nodeadm_user_data(config: dict[str, Any], *, ready_signal: str) -> ec2.MultipartUserData:
    """The ``application/node.eks.aws`` part nodeadm reads at boot, then the Ready-signal script part."""
    user_data = ec2.MultipartUserData()
    user_data.add_part(
        ec2.MultipartBody.from_raw_body(
            content_type=NODECONFIG_CONTENT_TYPE, body=yaml.safe_dump(config, sort_keys=False, width=2**16)
        )
    )
    user_data.add_part(ec2.MultipartBody.from_raw_body(content_type=SHELL_SCRIPT_CONTENT_TYPE, body=ready_signal))
    return user_data
