"""No input crashes podnet: each class of bad input, with the cases kept, ends in one line naming the setting and the
fix (exit 1), never a traceback; what AWS would reject at deploy time is rejected here, before any synth.

File input goes through the real ``podnet plan --config FILE`` in this process; settings through the same parse
and validation app.py and the CLI run (``podnet.plan.make_plans``, which validates every environment and names
the stacks).
"""

import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic.alias_generators import to_camel

from podnet.cli import main
from podnet.config.errors import ConfigError
from podnet.config.loading import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, load_config, parse_config
from podnet.config.model import NodesConfig, PodnetConfig
from podnet.config.regions import region_partitions
from podnet.plan import make_plans

ADMIN = "arn:aws:iam::123456789012:role/admin"


def plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str) -> str:
    """``podnet plan --config NAME`` in ``tmp_path`` (no cdk.json): its one-line error, after checking it is one."""
    monkeypatch.chdir(tmp_path)
    status = main(["plan", "--config", name])
    out, err = capsys.readouterr()
    assert (status, out) == (1, ""), err
    assert err.startswith("podnet: ") and err.count("\n") == 1 and "Traceback" not in err
    return err.strip()


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join([f'*{chr(97 + level)}'] * 9)}]\n" for level in range(8)
)

FILES: list[tuple[str, str, bytes, str]] = [
    ("not UTF-8", "c.json", b'\xff\xfe{"clusterName": "x"}', "is not UTF-8 text (byte 0xff at offset 0); save it"),
    ("Latin-1 YAML", "c.yaml", "clusterName: caf\u00e9\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9"),
    ("JSON nested deeper than Python", "c.json", b"[" * 20_000 + b"]" * 20_000, "nests deeper than Python can read"),
    ("YAML nested deeper than Python", "c.yaml", b"a: " + b"[" * 3_000 + b"]" * 3_000, "nests deeper than"),
    ("JSON nested past the bound", "c.json", b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}", f"nests more than {MAX_DEPTH}"),
    ("YAML alias expansion", "c.yaml", BILLION_LAUGHS.encode(), f"expands to more than {MAX_VALUES} values"),
    ("YAML alias cycle", "c.yaml", b"a: &a [*a]\n", f"nests more than {MAX_DEPTH} levels"),
    (
        "duplicate YAML key",
        "c.yaml",
        b"clusterName: a\nregion: us-east-1\nclusterName: b\n",
        "duplicate key 'clusterName': set it once (line 3, column 1)",
    ),
    ("duplicate nested YAML key", "c.yaml", b"nodes:\n  maxSize: 3\n  maxSize: 4\n", "duplicate key 'maxSize'"),
    (
        "duplicate JSON key",
        "c.json",
        b'{"nodes": {"maxSize": 3, "maxSize": 4}}',
        "duplicate key 'maxSize': set it once",
    ),
    ("too large", "c.yaml", b"#" * (MAX_FILE_BYTES + 1), f"more than a configuration needs (at most {MAX_FILE_BYTES})"),
    (
        "YAML syntax",
        "c.yaml",
        b"a: [\n",
        "is not valid YAML: expected the node content, but found '<stream end>' (line 2",
    ),
    ("a list, not settings", "c.json", b"[]", "must hold a mapping of settings"),
    ("YAML boolean as a name", "c.yaml", b"clusterName: no\n", "clusterName: YAML reads an unquoted yes, no, on, off"),
]


@pytest.mark.parametrize(("name", "content", "expected"), [f[1:] for f in FILES], ids=[f[0] for f in FILES])
def test_file_input(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    expected: str,
) -> None:
    (tmp_path / name).write_bytes(content)
    assert expected in plan_file(tmp_path, monkeypatch, capsys, name)


@pytest.mark.parametrize(("name", "text"), [("c.json", '{"clusterName": "bom"}'), ("c.yaml", "clusterName: bom\n")])
def test_a_byte_order_mark_is_read_as_utf8(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_config({}, tmp_path / name).cluster_name == "bom"


def test_yaml_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    """A merge key (``<<: *base``) followed by one of its keys is an override, not a duplicate."""
    (tmp_path / "c.yaml").write_text(
        "clusterName: base\nnodes: &nodes {minSize: 1, maxSize: 3}\n"
        "environments:\n  dev:\n    nodes:\n      <<: *nodes\n      maxSize: 4\n"
    )
    assert load_config({}, tmp_path / "c.yaml").environments == {"dev": {"nodes": {"minSize": 1, "maxSize": 4}}}


def test_alias_expansion_is_bounded_in_time_and_memory(tmp_path: Path) -> None:
    """Nine levels of nine aliases: 387 million values if anything walked them all (the issue's 600-byte file used
    2.5 GB and a minute of CPU). Rejected after MAX_VALUES of them."""
    (tmp_path / "c.yaml").write_text(BILLION_LAUGHS)
    tracemalloc.start()
    started = time.process_time()
    with pytest.raises(ConfigError, match="expands to more than"):
        load_config({}, tmp_path / "c.yaml")
    cpu = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (cpu, peak) < (2.0, 50 * 1024 * 1024), (cpu, peak)


def test_an_empty_config_file_name_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--config", ""]) == 1
    assert capsys.readouterr().err == (
        "podnet: the configuration file name is empty (--config '' or CONFIG=); name a JSON or YAML file, or leave it"
        " out for cdk.json's settings alone\n"
    )


def error_of(raw: dict[str, Any]) -> str:
    """The one-line error of the settings, validated like ``podnet plan`` and app.py do."""
    with pytest.raises(ConfigError) as caught:
        make_plans(parse_config({"adminRoleArns": [ADMIN], **raw}))
    message = str(caught.value)
    assert message.startswith("podnet: ") and "\n" not in message
    return message


def role(partition: str = "aws", path: str = "/", name: str = "admin") -> str:
    return f"arn:{partition}:iam::123456789012:role{path}{name}"


SETTINGS: list[tuple[str, dict[str, Any], str]] = [
    # Names AWS derives from settings: valid EKS cluster names, invalid CloudFormation stack names.
    (
        "underscore in stack name",
        {"clusterName": "my_cluster"},
        "clusterName 'my_cluster' makes the CloudFormation stack name 'my_cluster-network'",
    ),
    (
        "stack name starts with a digit",
        {"clusterName": "1cluster"},
        "stack name '1cluster-network', and stack names allow only letters, digits and '-', starting with a letter",
    ),
    (
        "environment stack name",
        {"environments": {"dev": {"clusterName": "dev_cluster"}}},
        "environments.dev.clusterName 'dev_cluster' makes the CloudFormation stack name 'dev-dev_cluster-network'",
    ),
    # AWS limits.
    (
        "51 IPv4 blocks",
        {
            "additionalPodCidrs": [f"100.{65 + i}.0.0/16" for i in range(49)],
            "podSubnets": {"us-east-1a": "100.64.0.0/18"},
        },
        "make 51 IPv4 blocks in one VPC; Amazon VPC allows at most 50",
    ),
    (
        "41 public access CIDRs",
        {"endpointAccess": "public-and-private", "publicAccessCidrs": [f"198.51.{i}.0/24" for i in range(41)]},
        "publicAccessCidrs lists 41 blocks; EKS accepts at most 40",
    ),
    (
        "non-ASCII role name",
        {"adminRoleArns": [role(name="\u00c4dmin")]},
        "is not an IAM role ARN; use arn:aws:iam::<12-digit account>:role/<name> (ASCII",
    ),
    (
        "role path over 512",
        {"adminRoleArns": [role(path="/" + "p/" * 256)]},
        "has a role path of 513 characters; IAM allows 512",
    ),
    ("role name over 64", {"adminRoleArns": [role(name="a" * 65)]}, "is not an IAM role ARN"),
    # Messages that say what is wrong.
    ("admin role twice", {"adminRoleArns": [ADMIN, ADMIN]}, f"adminRoleArns lists {ADMIN} twice; list each once"),
    (
        "CIDR host bits",
        {"vpcCidr": "10.0.0.1/16"},
        "vpcCidr: '10.0.0.1/16' has host bits set; use the block's network address, 10.0.0.0/16",
    ),
    (
        "CIDR leading zeros",
        {"podCidr": "100.064.0.0/16"},
        "podCidr: '100.064.0.0/16' has leading zeros, which some tools read as octal and Python refuses; write"
        " 100.64.0.0/16",
    ),
    ("CIDR as a boolean", {"additionalPodCidrs": [False]}, "additionalPodCidrs.0: a CIDR block is text such as"),
    ("CIDR as a number", {"vpcCidr": 5}, "vpcCidr: a CIDR block is text such as '10.0.0.0/16', not a number"),
    ("CIDR prefix", {"serviceCidr": "172.20.0.0/33"}, "serviceCidr: '172.20.0.0/33' is not an IPv4 CIDR block"),
    (
        "CIDR in a map",
        {"podSubnets": {"us-east-1a": "100.64.0.1/24"}},
        "podSubnets.us-east-1a: '100.64.0.1/24' has host bits set",
    ),
    (
        "YAML boolean",
        {"clusterName": False},
        "clusterName: YAML reads an unquoted yes, no, on, off, true or false as the boolean false",
    ),
    # Releases.
    (
        "AMI release month 13",
        {"nodes": {"amiReleaseVersion": "v20261399"}},
        "nodes.amiReleaseVersion 'v20261399' is not an EKS AMI release",
    ),
    ("AMI release 30 February", {"nodes": {"amiReleaseVersion": "v20270230"}}, "(v and a real date, YYYYMMDD)"),
    # Nodes that can run nothing: every node runs aws-node, kube-proxy and the Pod Identity agent.
    (
        "max pods cap at the DaemonSets",
        {"maxPodsCap": 3},
        "a m6i.large node holds 3 pods (maxPodsCap 3), and every node runs 3 DaemonSet pods (aws-node, kube-proxy,"
        " eks-pod-identity-agent), so none of yours would fit",
    ),
    ("max pods cap below the DaemonSets", {"maxPodsCap": 1}, "holds 1 pods (maxPodsCap 1)"),
]


@pytest.mark.parametrize(("raw", "expected"), [s[1:] for s in SETTINGS], ids=[s[0] for s in SETTINGS])
def test_settings(raw: dict[str, Any], expected: str) -> None:
    assert expected in error_of(raw)


def test_41_distinct_instance_types() -> None:
    families = ("m5", "m5a", "m5n", "m6i", "m6a", "m7i", "m7a", "c5", "c6i", "c6a", "r5", "r6i", "r6a", "c7i")
    types = [f"{family}.{size}" for family in families for size in ("large", "xlarge", "2xlarge")][:41]
    assert "nodes.instanceTypes lists 41 types; an Auto Scaling group's mixed instances policy takes at most 40" in (
        error_of({"nodes": {"instanceTypes": types}})
    )


def test_max_pods_just_above_the_daemonsets_is_accepted() -> None:
    make_plans(parse_config({"adminRoleArns": [ADMIN], "maxPodsCap": 4}))


#: One region of every partition podnet accepts (botocore's partition data).
PARTITION_REGIONS = {
    partition: min(r for r, p in region_partitions().items() if p == partition)
    for partition in set(region_partitions().values())
}


@pytest.mark.parametrize("partition", sorted(PARTITION_REGIONS))
def test_arns_must_be_in_the_clusters_partition_and_region(partition: str) -> None:
    region = PARTITION_REGIONS[partition]
    where = {"region": region, "availabilityZones": [f"{region}a", f"{region}b"]}
    topic = f"arn:{partition}:sns:{region}:123456789012:alerts"
    make_plans(parse_config({**where, "adminRoleArns": [role(partition)], "ipAlarms": {"topicArn": topic}}))
    other = "aws-cn" if partition == "aws" else "aws"
    assert f"is in partition {other}, but region {region} is in {partition}; use the role's ARN in {partition}" in (
        error_of({**where, "adminRoleArns": [role(other)]})
    )
    elsewhere = f"arn:{other}:sns:{region}:123456789012:alerts"
    assert f"ipAlarms.topicArn '{elsewhere}' is not in the cluster's region {region} ({partition})" in error_of(
        {**where, "adminRoleArns": [role(partition)], "ipAlarms": {"topicArn": elsewhere}}
    )
    others = sorted(r for r, p in region_partitions().items() if p == partition and r != region)
    for other_region in others[:1]:  # a partition of one region has no other
        wrong_region = f"arn:{partition}:sns:{other_region}:123456789012:alerts"
        assert "is not in the cluster's region" in error_of(
            {**where, "adminRoleArns": [role(partition)], "ipAlarms": {"topicArn": wrong_region}}
        )


def test_max_pods_refuses_prefix_delegation_where_plan_does(capsys: pytest.CaptureFixture[str]) -> None:
    """t2 is not Nitro: plan rejects it with prefixDelegation, so max-pods must not print 110 for it."""
    assert main(["max-pods", "--prefix-delegation", "t2.medium"]) == 1
    assert capsys.readouterr() == (
        "",
        "podnet: t2.medium is not a Nitro or bare-metal type, so prefix delegation cannot work on it (podnet plan"
        " rejects it too); leave out --prefix-delegation or use a Nitro type\n",
    )
    assert "t2.medium is not a Nitro or bare-metal type, so prefixDelegation cannot work on it" in error_of(
        {"prefixDelegation": True, "nodes": {"instanceTypes": ["t2.medium"]}}
    )


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    """``podnet plan | head -1``: the closed pipe ends podnet quietly, without a BrokenPipeError traceback."""
    podnet = Path(sys.executable).parent / "podnet"
    done = subprocess.run(
        f"'{podnet}' plan | head -c 10", shell=True, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "cluster po", "")


#: Values of every JSON kind, and strings that are almost right, for any setting.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["10.0.0.0/16", "100.64.0.0/16", "0.0.0.0/0", "us-east-1a", "eu-west-1", "cn-north-1", "m5.large"]),
    st.sampled_from(["t2.micro", ADMIN, "arn:aws:sns:us-east-1:123456789012:t", "1.36", "v20260101", "dev", "true"]),
)
_TOP_KEYS = [to_camel(name) for name in PodnetConfig.model_fields]
_NODE_KEYS = [to_camel(name) for name in NodesConfig.model_fields]
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([*_TOP_KEYS, *_NODE_KEYS, "us-east-1a", "dev"]), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(_TOP_KEYS), _VALUES, max_size=5),
    st.dictionaries(st.sampled_from(_NODE_KEYS), _VALUES, max_size=3),
)
def test_any_settings_plan_or_fail_in_one_line(raw: dict[str, Any], nodes: dict[str, Any]) -> None:
    """Whatever JSON values land in whichever settings, validation ends in a plan or one ConfigError line."""
    try:
        make_plans(parse_config({**raw, "nodes": nodes} if nodes else raw))
    except ConfigError as error:
        assert str(error).startswith("podnet: ") and "\n" not in str(error)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff{}", "it is not UTF-8 text"),
        (b"{", "not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
        (b"[]", 'it must be a JSON object whose "context" is an object'),
        (b'{"context": 5}', 'it must be a JSON object whose "context" is an object'),
        (b"[" * 20_000 + b"]" * 20_000, "it nests deeper than Python can read"),
    ],
)
def test_a_broken_cdk_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    (tmp_path / "cdk.json").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    assert main(["plan"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("podnet: cannot read cdk.json: ") and err.count("\n") == 1
    assert expected in err and "run from the project folder" in err
