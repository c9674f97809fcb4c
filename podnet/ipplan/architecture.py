"""CPU architecture of an instance type, which picks the AMI (the ENI table has no architecture column)."""

import re

#: Graviton families carry a "g" after the generation digit (m7g, c6gn, r8gd, im4gn, is4gen), plus a1.
_GRAVITON_FAMILY = re.compile(r"^(a1|[a-z]+\d+[a-z]*g[a-z]*)$")


def architecture(instance_type: str) -> str:
    """``arm64`` for Graviton types, ``x86_64`` otherwise, as named in the EKS AMI SSM parameters."""
    family = instance_type.split(".", 1)[0]
    return "arm64" if _GRAVITON_FAMILY.match(family) else "x86_64"
