"""Packaging a user can trust: what the product imports is a runtime dependency, the license file matches
pyproject's, ``podnet --version`` answers, ``make help`` lists every target."""

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def _runtime_closure() -> set[str]:
    """The declared runtime dependencies and, as installed, everything they require here (no extras)."""
    pending = [canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]]
    closure: set[str] = set()
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return closure


def _imported_at_runtime(path: Path) -> set[str]:
    """Top-level modules a file imports, without those under ``if TYPE_CHECKING:`` (never imported when run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_the_product_imports_is_a_runtime_dependency() -> None:
    """cdk-nag runs on every synth: a dev-only extra would leave a plain install unable to synth."""
    distributions = metadata.packages_distributions()
    runtime = _runtime_closure()
    product = [REPO_ROOT / "app.py", *(REPO_ROOT / "podnet").rglob("*.py")]
    missing = {}
    for path in product:
        for module in _imported_at_runtime(path) - set(sys.stdlib_module_names) - {"podnet", "__future__"}:
            providers = {canonicalize_name(d) for d in distributions.get(module, [])}
            if not providers & runtime:
                missing[module] = path.relative_to(REPO_ROOT).as_posix()
    assert missing == {}
    assert "cdk-nag" in {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}


def test_the_license_file_is_the_license_pyproject_names() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    text = (REPO_ROOT / "LICENSE").read_text()
    assert re.search(r"Apache License\s+Version 2\.0, January 2004", text)
    assert "END OF TERMS AND CONDITIONS" in text


def test_podnet_version() -> None:
    done = subprocess.run(
        [Path(sys.executable).parent / "podnet", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"podnet {PYPROJECT['project']['version']}\n")


def test_make_help_lists_every_target() -> None:
    done = subprocess.run(["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    listed = {line.split()[1] for line in done.stdout.splitlines()}
    makefile = (REPO_ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY: (.*)$", makefile, re.MULTILINE)
    assert listed == set(phony.split()) - {"help"}
    assert all(len(line.split(maxsplit=2)) == 3 for line in done.stdout.splitlines())  # each with its text
