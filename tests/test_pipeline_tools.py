"""The npm tool versions the pipeline installs come from package-lock.json, exact or not at all."""

import json
from pathlib import Path

import pytest

from podnet.stacks.pipeline_tools import PACKAGE_LOCK, locked_npm_version
from tests.support import REPO_ROOT


def _lock(tmp_path: Path, packages: dict[str, object]) -> Path:
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"lockfileVersion": 3, "packages": packages}))
    return lock


def test_reads_the_repository_lock_file() -> None:
    assert PACKAGE_LOCK == REPO_ROOT / "package-lock.json"
    locked = json.loads(PACKAGE_LOCK.read_text())["packages"]
    assert locked_npm_version("aws-cdk") == locked["node_modules/aws-cdk"]["version"]


def test_returns_the_locked_version(tmp_path: Path) -> None:
    lock = _lock(tmp_path, {"node_modules/cdk-assets": {"version": "4.7.3"}})
    assert locked_npm_version("cdk-assets", lock) == "4.7.3"


def test_a_package_the_lock_does_not_hold_is_an_error(tmp_path: Path) -> None:
    lock = _lock(tmp_path, {"node_modules/aws-cdk": {"version": "2.1148.1"}})
    with pytest.raises(LookupError, match="locks no version of cdk-assets"):
        locked_npm_version("cdk-assets", lock)


@pytest.mark.parametrize("version", ["^4.7.3", "latest", "4.7", "4.7.3-rc.1", 4])
def test_a_version_that_is_not_exact_is_an_error(tmp_path: Path, version: object) -> None:
    lock = _lock(tmp_path, {"node_modules/cdk-assets": {"version": version}})
    with pytest.raises(LookupError, match=r"not an exact x\.y\.z version"):
        locked_npm_version("cdk-assets", lock)


def test_a_missing_lock_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="locks no version of aws-cdk"):
        locked_npm_version("aws-cdk", tmp_path / "package-lock.json")
