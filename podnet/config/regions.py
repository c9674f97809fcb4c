"""AWS region names as botocore's partition data lists them, so a typo such as ``us-east-9`` fails at synth.

The data file (``botocore/data/partitions.json``, maintained with every botocore release) is read directly: importing
botocore itself would cost the CLI time and pull in its HTTP stack for nothing.
"""

import difflib
import json
import re
from functools import cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

from podnet.config.errors import ConfigError


@cache
def region_partitions() -> dict[str, str]:
    """Region -> its partition (``aws``, ``aws-cn``, ``aws-us-gov``, ...), for every region of every partition, without
    pseudo-regions like ``aws-global``."""
    spec = find_spec("botocore")
    if spec is None or spec.origin is None:
        raise ConfigError("botocore is not installed, and podnet checks region names against its data; run make setup")
    data = json.loads((Path(spec.origin).parent / "data" / "partitions.json").read_text())
    return {
        region: partition["id"]
        for partition in data["partitions"]
        for region in partition["regions"]
        if re.fullmatch(partition["regionRegex"], region)
    }


def aws_regions() -> frozenset[str]:
    """Every region of every partition."""
    return frozenset(region_partitions())


def partition_of(region: str) -> str:
    """The partition of a region ``check_region`` accepted: what ARNs in that region start with (``arn:aws-cn:``)."""
    return region_partitions()[region]


def check_region(setting: str, region: str) -> None:
    """Raise ConfigError unless ``region`` is a region botocore knows; suggest the regions of the same area."""
    if region in aws_regions():
        return
    known = sorted(aws_regions())
    siblings = [name for name in known if name.rsplit("-", 1)[0] == region.rsplit("-", 1)[0]]
    close = siblings or difflib.get_close_matches(region, known, n=1, cutoff=0.8)
    if not close:
        hint = "use e.g. us-east-1"
    else:
        hint = f"did you mean {close[0]}?" if len(close) == 1 else f"did you mean one of {', '.join(close)}?"
    raise ConfigError(
        f"{setting} {region!r} is not an AWS region (none of that name in the partition data of botocore"
        f" {version('botocore')}); {hint}"
    )
