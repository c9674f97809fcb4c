"""The EKS AL2023 AMI release podnet pins by default, and the SSM parameters EKS publishes AMIs under.

A pinned release makes node rolls happen when the user decides: the ``recommended`` parameter moves with every AMI
release, so with it the first deploy after a release replaces every node whatever else changed. ``podnet preflight``
says when EKS recommends a newer release than the pinned one.
"""

import re

#: (Kubernetes minor version, architecture) -> the release podnet pins: the newest release whose notes this table
#: was checked against. Source: awslabs/amazon-eks-ami CHANGELOG.md, "AMI Release v20260714" (commit 81fec2e8),
#: which lists amazon-eks-node-al2023-{x86_64,arm64}-standard-1.36-v20260714 (release version 1.36.2-20260714) and
#: ...-standard-1.35-v20260714 (1.35.6-20260714). podnet cannot call AWS while it synthesizes, so the table is read
#: from the release notes, not from the account; a test keeps it complete for every supported version.
PINNED_AMI_RELEASES: dict[tuple[str, str], str] = {
    ("1.36", "x86_64"): "v20260714",
    ("1.36", "arm64"): "v20260714",
    ("1.35", "x86_64"): "v20260714",
    ("1.35", "arm64"): "v20260714",
}

#: A release tag as amazon-eks-ami publishes it: ``v`` and the build date.
RELEASE_TAG = re.compile(r"v(\d{8})")


def ami_release(kubernetes_version: str, arch: str, override: str | None) -> str:
    """The release the nodes run: ``nodes.amiReleaseVersion`` if set, else the pinned release."""
    if override is not None:
        return override
    try:
        return PINNED_AMI_RELEASES[(kubernetes_version, arch)]
    except KeyError:
        raise ValueError(f"no pinned AMI release for Kubernetes {kubernetes_version} on {arch}") from None


def ami_name(kubernetes_version: str, arch: str, release: str) -> str:
    """The AMI's name, as the release notes list it."""
    return f"amazon-eks-node-al2023-{arch}-standard-{kubernetes_version}-{release}"


def _prefix(kubernetes_version: str, arch: str) -> str:
    return f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/{arch}/standard"


def release_image_parameter(kubernetes_version: str, arch: str, release: str) -> str:
    """The SSM parameter holding one release's AMI id in a region: it never changes."""
    return f"{_prefix(kubernetes_version, arch)}/{ami_name(kubernetes_version, arch, release)}/image_id"


def recommended_parameter(kubernetes_version: str, arch: str) -> str:
    """The SSM parameter of the release EKS recommends now (JSON with ``image_name``), which moves with releases."""
    return f"{_prefix(kubernetes_version, arch)}/recommended"


def release_date(release: str) -> str:
    """``v20260714`` -> ``20260714``: releases compare by build date."""
    match = RELEASE_TAG.fullmatch(release)
    if match is None:
        raise ValueError(f"{release!r} is not an EKS AMI release tag")
    return match.group(1)


def release_of_image_name(image_name: str) -> str | None:
    """The release tag at the end of an EKS AMI name, or None when the name does not end in one."""
    match = re.search(r"-(v\d{8})$", image_name)
    return match.group(1) if match else None
