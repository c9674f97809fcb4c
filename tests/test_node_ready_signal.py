"""The node's Ready signal, run for real: the script from the synthesized user data, under bash, with stand-ins for
the instance metadata service, the AWS CLI and the Kubernetes API (curl and aws on PATH)."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from podnet.constructs.nodeadm_user_data import SIGNAL_RESOURCE_TAG, SIGNAL_STACK_TAG
from tests.support.synth import Synthesized
from tests.test_node_roll_template import ready_signal_part

INSTANCE = "i-0123456789abcdef0"
NODE = "ip-10-0-64-12.ec2.internal"
ENDPOINT = "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com"

CURL = f"""#!/bin/bash
# IMDSv2 and the API server. The node object turns Ready on look number $READY_AFTER (never if 0).
echo "curl $*" >> "$LOG"
for url; do :; done
case "$url" in
  */latest/api/token) echo imds-token ;;
  */meta-data/placement/region) echo us-east-1 ;;
  */meta-data/instance-id) echo {INSTANCE} ;;
  */api/v1/nodes/*)
    [ -n "$API_DOWN" ] && exit 7
    looks=$(( $(cat "$STATE" 2>/dev/null || echo 0) + 1 )); echo "$looks" > "$STATE"
    ready=False; [ "$READY_AFTER" -gt 0 ] && [ "$looks" -ge "$READY_AFTER" ] && ready=True
    echo '{{"kind": "Node", "status": {{"conditions": [{{"type": "MemoryPressure", "status": "False"}},'
    echo " {{\\"type\\": \\"Ready\\", \\"status\\": \\"$ready\\"}}]}}}}" ;;
  *) exit 22 ;;
esac
"""

AWS = f"""#!/bin/bash
echo "aws $*" >> "$LOG"
case "$1 $2" in
  "ec2 describe-instances")
    case "$*" in *"{SIGNAL_STACK_TAG}"*"{SIGNAL_RESOURCE_TAG}"*) ;; *) exit 2 ;; esac
    printf '{NODE}\\tpodnet-cluster\\tSpotNodesUsEast1aGroupASG06F33A71\\n' ;;
  "eks get-token") echo '{{"kind": "ExecCredential", "status": {{"token": "k8s-aws-v1.node-token"}}}}' ;;
  "cloudformation signal-resource") echo "$*" >> "$SIGNALS" ;;
  *) exit 2 ;;
esac
"""


def _script_and_args(app: Synthesized) -> tuple[str, list[str]]:
    """The script the user data installs, and the arguments it starts it with (the endpoint made concrete)."""
    part = ready_signal_part(app)
    script = re.search(r"<<'READY_SIGNAL'\n(.*?)^READY_SIGNAL$", part, re.DOTALL | re.MULTILINE)
    assert script
    (command,) = [line for line in part.splitlines() if line.startswith("systemd-run ")]
    args = shlex.split(command)[-4:]
    return script.group(1), [args[0], ENDPOINT, *args[2:]]


def _run(
    app: Synthesized, tmp_path: Path, *, ready_after: int, wait: str | None = None, api_down: bool = False
) -> tuple[subprocess.CompletedProcess[str], list[str], list[str]]:
    """Run the script until it signals; returns its result, the signals it sent and every stand-in call."""
    script, args = _script_and_args(app)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("curl", CURL), ("aws", AWS), ("sleep", "#!/bin/bash\n")):
        stub = bin_dir / name
        stub.write_text(body)
        stub.chmod(0o755)
    (tmp_path / "ready-signal").write_text(script)
    if wait is not None:
        args[2] = wait
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "LOG": str(tmp_path / "calls"),
        "STATE": str(tmp_path / "looks"),
        "SIGNALS": str(tmp_path / "signals"),
        "READY_AFTER": str(ready_after),
        "API_DOWN": "1" if api_down else "",
    }
    result = subprocess.run(
        ["bash", str(tmp_path / "ready-signal"), *args], env=env, capture_output=True, text=True, timeout=60
    )
    signals = (tmp_path / "signals").read_text().splitlines() if (tmp_path / "signals").exists() else []
    return result, signals, (tmp_path / "calls").read_text().splitlines()


def _signal(status: str) -> str:
    return (
        "cloudformation signal-resource --stack-name podnet-cluster --logical-resource-id"
        f" SpotNodesUsEast1aGroupASG06F33A71 --unique-id {INSTANCE} --status {status}"
    )


def test_signals_success_once_its_node_is_ready(default_app: Synthesized, tmp_path: Path) -> None:
    result, signals, calls = _run(default_app, tmp_path, ready_after=3)
    assert result.returncode == 0, result.stderr
    assert signals == [_signal("SUCCESS")]
    node_reads = [call for call in calls if "/api/v1/nodes/" in call]
    assert len(node_reads) == 3, "it signals on the first Ready look, not before"
    assert all(
        read.endswith(f"{ENDPOINT}/api/v1/nodes/{NODE}")
        and "--cacert /etc/kubernetes/pki/ca.crt" in read
        and "Authorization: Bearer k8s-aws-v1.node-token" in read
        for read in node_reads
    ), node_reads[0]
    assert "aws eks get-token --cluster-name podnet --output json" in calls


def test_a_node_that_never_gets_ready_signals_failure(default_app: Synthesized, tmp_path: Path) -> None:
    _, signals, calls = _run(default_app, tmp_path, ready_after=0, wait="0")
    assert signals == [_signal("FAILURE")]
    # It looks once more when the wait is over, so a node Ready just in time still counts.
    assert len([call for call in calls if "/api/v1/nodes/" in call]) == 1


def test_an_unreachable_api_server_is_not_ready(default_app: Synthesized, tmp_path: Path) -> None:
    _, signals, _ = _run(default_app, tmp_path, ready_after=1, wait="0", api_down=True)
    assert signals == [_signal("FAILURE")]


def test_the_tag_query_is_valid_json_path_for_the_aws_cli(default_app: Synthesized) -> None:
    """The --query the script gives describe-instances, run by jmespath (the AWS CLI's query engine) on a sample."""
    import jmespath  # type: ignore[import-untyped]  # a dependency of botocore, which ships no type hints

    script, _ = _script_and_args(default_app)
    query = re.search(r'--query "(.*?)"', script, re.DOTALL)
    assert query
    instance = {
        "PrivateDnsName": NODE,
        "Tags": [
            {"Key": "aws-node-termination-handler/managed", "Value": ""},
            {"Key": SIGNAL_RESOURCE_TAG, "Value": "SpotNodesUsEast1aGroupASG06F33A71"},
            {"Key": SIGNAL_STACK_TAG, "Value": "podnet-cluster"},
        ],
    }
    found = jmespath.search(query.group(1), {"Reservations": [{"Instances": [instance]}]})
    assert found == [NODE, "podnet-cluster", "SpotNodesUsEast1aGroupASG06F33A71"]
