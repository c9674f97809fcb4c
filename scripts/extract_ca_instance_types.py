#!/usr/bin/env python3
"""Extract vCPU and memory per instance type from the Cluster Autoscaler's static EC2 list.

Usage:
    git -C <kubernetes/autoscaler git dir> show <commit>:cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go \
        > ec2_instance_types.go
    python3 extract_ca_instance_types.py ec2_instance_types.go > podnet/data/ca-instance-types.tsv

The Go file is a generated map literal:

    "m5.large": {
        InstanceType: "m5.large",
        VCPU:         2,
        MemoryMb:     8192,
        GPU:          0,
        Architecture: "amd64",
    },

Output columns (tab separated): instance_type, vcpus (VCPU), memory_mib (MemoryMb), gpus (GPU),
architecture (Architecture, as CA names it: amd64 or arm64). Rows sorted by instance type.
"""

import re
import sys
from pathlib import Path

ENTRY = re.compile(
    r'^\t"(?P<key>[^"]+)": \{\n'
    r'\t\tInstanceType: "(?P<name>[^"]+)",\n'
    r"\t\tVCPU: +(?P<vcpus>\d+),\n"
    r"\t\tMemoryMb: +(?P<memory>\d+),\n"
    r"\t\tGPU: +(?P<gpus>\d+),\n"
    r'\t\tArchitecture: "(?P<arch>[^"]+)",\n'
    r"\t\},$",
    re.MULTILINE,
)
MAP_START = "var InstanceTypes = map[string]*InstanceType{"


def extract(go_source: str) -> list[tuple[str, int, int, int, str]]:
    """Rows of the map; fails loudly if an entry has a shape this parser does not know."""
    body = go_source.split(MAP_START, 1)[1]
    entries = ENTRY.findall(body)
    declared = body.count('": {')
    if len(entries) != declared:
        raise ValueError(f"parsed {len(entries)} of {declared} entries: the generated format changed")
    rows = []
    for key, name, vcpus, memory, gpus, arch in entries:
        if key != name:
            raise ValueError(f"map key {key} names InstanceType {name}")
        rows.append((name, int(vcpus), int(memory), int(gpus), arch))
    return sorted(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print("instance_type\tvcpus\tmemory_mib\tgpus\tarchitecture")
    for row in extract(Path(argv[1]).read_text()):
        print("\t".join(str(value) for value in row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
