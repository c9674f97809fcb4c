"""EKS's public AL2023 AMI parameters in moto's SSM, which has none of them and refuses ``/aws/...`` names through
PutParameter (reserved to AWS): written into moto's backend the way moto loads its own public parameters."""

import json

from moto.core.utils import utcnow
from moto.ssm.models import Parameter, ssm_backends

from podnet.ipplan.ami_releases import PINNED_AMI_RELEASES, ami_name, recommended_parameter, release_image_parameter

ACCOUNT = "123456789012"


def publish_releases(region: str, kubernetes_version: str, arch: str, releases: list[str]) -> None:
    """Each release's ``image_id`` parameter, and ``recommended`` naming the last one, as EKS publishes them."""
    parameters = ssm_backends[ACCOUNT][region]._parameters  # moto has no API for /aws/ names

    def put(name: str, value: str, data_type: str = "text") -> None:
        parameters[name].append(
            Parameter(  # type: ignore[abstract]  # moto builds its own public parameters the same way
                account_id=ACCOUNT,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=utcnow(),
                version=len(parameters[name]) + 1,
                data_type=data_type,
            )
        )

    for index, release in enumerate(releases):
        put(release_image_parameter(kubernetes_version, arch, release), f"ami-0{index:016x}", "aws:ec2:image")
    latest = releases[-1]
    put(
        recommended_parameter(kubernetes_version, arch),
        json.dumps(
            {
                "schema_version": "3",
                "image_id": f"ami-0{len(releases) - 1:016x}",
                "image_name": ami_name(kubernetes_version, arch, latest),
                "release_version": f"{kubernetes_version}.0-{latest[1:]}",
            }
        ),
    )


def publish_pinned_releases(*regions: str) -> None:
    """Every release podnet pins, each the recommended one, in each region (as a user's account looks after the
    release; preflight then passes its AMI check)."""
    for region in regions:
        for (kubernetes_version, arch), release in PINNED_AMI_RELEASES.items():
            publish_releases(region, kubernetes_version, arch, [release])
