"""The default ``availabilityZones``: the region's zones ``a``, ``b`` and ``c``, without a lookup (synth needs no
account), except in the regions where those three letters are not zones EKS can use in every account.

Zone names map to zone ids per account in the oldest regions, and EKS refuses control-plane subnets in a few zone ids
(EKS user guide, "Subnet requirements": use1-az3, usw1-az2, cac1-az3). ``podnet preflight`` checks the zones of the
real account; this table only keeps podnet from guessing where the guess is known to be wrong.
"""

from podnet.config.errors import ConfigError

#: Region -> why ``<region>a/b/c`` is not a usable default there. podnet asks for explicit zones in these regions.
ZONES_DIFFER = {
    # Two zones per account, lettered per account (a/b, a/c or b/c in describe-availability-zones outputs published
    # by users); its third zone id, usw1-az2, is one EKS refuses.
    "us-west-1": "offers each account two zones, lettered differently in different accounts",
    # Published describe-availability-zones outputs show a, c and d (apne1-az4, -az1, -az2): no 1b in newer accounts.
    "ap-northeast-1": "has no ap-northeast-1b in most accounts (their zones are 1a, 1c and 1d)",
    # Uniformly mapped (launched after 2012): its zone ids are cac1-az1, -az2 and -az4 for 1a, 1b and 1d, and
    # cac1-az3 is one EKS refuses (the name it has: not confirmed).
    "ca-central-1": "has zones ca-central-1a, 1b and 1d, and a zone id EKS refuses (cac1-az3; whether that is 1c is"
    " not confirmed)",
    # AWS China lists cn-north-1a, 1b and 1d (not confirmed here).
    "cn-north-1": "has zones cn-north-1a, 1b and 1d, not 1c (not confirmed)",
}
DEFAULT_ZONE_LETTERS = "abc"


def default_zones(region: str) -> tuple[str, ...]:
    """``<region>a``, ``b`` and ``c``; none (the configuration must list them) in the regions of ZONES_DIFFER."""
    if region in ZONES_DIFFER:
        return ()
    return tuple(region + letter for letter in DEFAULT_ZONE_LETTERS)


def check_default_zones(region: str, zones: tuple[str, ...]) -> None:
    """Raise ConfigError when ``zones`` is the empty default of a region that needs explicit zones."""
    if not zones and region in ZONES_DIFFER:
        raise ConfigError(
            f"availabilityZones is not set, and podnet does not guess them in {region}, which"
            f" {ZONES_DIFFER[region]}; list your account's zones (aws ec2 describe-availability-zones --region"
            f" {region}), at least two, and check them with podnet preflight"
        )
