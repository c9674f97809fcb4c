"""Max pods: the field guide's worked numbers, the shipped ENI table, and the nodeadm CEL expression agree."""

import csv
from importlib.resources import files
from itertools import product

import celpy
import pytest
from celpy import celtypes

from podnet.config.loading import parse_config
from podnet.ipplan.eni_limits import eni_limits, lookup
from podnet.ipplan.max_pods import MaxPodsMode, max_pods, max_pods_expression

MODES = [
    MaxPodsMode(custom_networking=custom, prefix_delegation=prefix, cap=cap)
    for custom, prefix, cap in product((True, False), (False, True), (110, 250, None))
]


def mode_id(mode: MaxPodsMode) -> str:
    return f"custom={mode.custom_networking}-prefix={mode.prefix_delegation}-cap={mode.cap}"


@pytest.mark.parametrize(
    ("instance_type", "default", "custom", "custom_prefix"),
    [("t3.medium", 17, 12, 110), ("m5.large", 29, 20, 110), ("m5.xlarge", 58, 44, 110)],
)
def test_field_guide_numbers(instance_type: str, default: int, custom: int, custom_prefix: int) -> None:
    limits = lookup(instance_type)
    assert limits is not None
    assert max_pods(limits, MaxPodsMode(custom_networking=False, cap=None)) == default
    assert max_pods(limits, MaxPodsMode(custom_networking=True, cap=None)) == custom
    assert max_pods(limits, MaxPodsMode(custom_networking=True, prefix_delegation=True, cap=110)) == custom_prefix


def test_table_covers_every_instance_type() -> None:
    assert len(eni_limits()) == 1391


def test_uncapped_numbers_match_the_table_columns() -> None:
    """The TSV's derived columns (checked against upstream eni-max-pods.txt when extracted) agree with max_pods."""
    with files("podnet.data").joinpath("instance-eni-limits.tsv").open() as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    assert len(rows) == len(eni_limits())
    for row in rows:
        limits = eni_limits()[row["instance_type"]]
        assert max_pods(limits, MaxPodsMode(custom_networking=False, cap=None)) == int(row["max_pods_secondary_ip"])
        assert max_pods(limits, MaxPodsMode(custom_networking=True, cap=None)) == int(row["max_pods_custom_networking"])


@pytest.mark.parametrize("mode", MODES, ids=mode_id)
def test_cel_expression_matches_for_every_instance_type(mode: MaxPodsMode) -> None:
    """nodeadm evaluates the expression with CEL: it must give max_pods() for every type the table knows.

    The expression sees only nodeadm's two variables, so CEL runs once per distinct (default_enis, ips_per_eni)
    pair (46 for 1391 types) and every type is checked against the result for its pair.
    """
    environment = celpy.Environment(runner_class=celpy.CompiledRunner)
    program = environment.program(environment.compile(max_pods_expression(mode)))
    cel_results: dict[tuple[int, int], object] = {}
    wrong = {}
    for name, limits in eni_limits().items():
        pair = (limits.enis, limits.ips_per_eni)
        if pair not in cel_results:
            variables = {"default_enis": celtypes.IntType(pair[0]), "ips_per_eni": celtypes.IntType(pair[1])}
            cel_results[pair] = program.evaluate(variables)
        result = cel_results[pair]
        if result != max_pods(limits, mode):
            wrong[name] = (result, max_pods(limits, mode))
    assert wrong == {}


def test_cap_applies_only_above_it() -> None:
    limits = lookup("m5.24xlarge")
    assert limits is not None
    assert max_pods(limits, MaxPodsMode(cap=None)) == 688
    assert max_pods(limits, MaxPodsMode(cap=250)) == 250
    assert max_pods(limits, MaxPodsMode(cap=1000)) == 688


def test_mode_of_a_configuration() -> None:
    config = parse_config({"prefixDelegation": True, "maxPodsCap": 250})
    assert config.max_pods_mode == MaxPodsMode(custom_networking=True, prefix_delegation=True, cap=250)
    assert parse_config({}).max_pods_mode == MaxPodsMode()
