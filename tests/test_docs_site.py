"""The documentation site builds with --strict (broken links and anchors fail), and the README stays short."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT
from tests.support.synth import Synthesized

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _assembly(directory: Path, app: Synthesized) -> Path:
    """The app's templates laid out as a cloud assembly (cdk.out), as scripts/mkdocs_hooks.py reads one."""
    directory.mkdir()
    artifacts = {}
    for stack in ("network", "cluster"):
        name = f"{app.config.cluster_name}-{stack}"
        (directory / f"{name}.template.json").write_text(json.dumps(app.template(stack)), encoding="utf-8")
        artifacts[name] = {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{name}.template.json"}}
    (directory / "manifest.json").write_text(json.dumps({"artifacts": artifacts}), encoding="utf-8")
    return directory


def test_site_builds_strict_with_pictures_drawn_at_build_time(tmp_path: Path, default_app: Synthesized) -> None:
    assembly = _assembly(tmp_path / "cdk.out", default_app)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PODNET_DOCS_ASSEMBLY": str(assembly)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pages = sorted(p.stem for p in (REPO_ROOT / "docs").glob("*.md"))
    for page in pages:
        built = tmp_path / "site" / ("index.html" if page == "index" else f"{page}/index.html")
        assert built.is_file(), f"docs/{page}.md was not built"
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Ten minutes from zero to pods on the secondary block" in home, "the home page is not the README"
    assert 'href="day-two/#destroy"' in home, "README links to docs/ were not rewritten for the site"
    images = tmp_path / "site" / "images"
    assert "EKS cluster podnet: Kubernetes" in (images / "architecture.svg").read_text(encoding="utf-8")
    assert "172.2.0.0/16" in (images / "plan-origin.svg").read_text(encoding="utf-8")
    assert 'src="images/plan-default.svg"' in home


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    assert len(README) <= 12_000, f"README.md has {len(README)} characters, at most 12,000"
    lines = README.splitlines()
    assert lines[0] == "# podnet"
    assert lines[2:6] == ["```sh", lines[3], lines[4], "```"]
    assert [line.split("#")[0].strip() for line in lines[3:5]] == ["make synth", "make test"]


def test_readme_links_only_to_pages_that_exist() -> None:
    """GitHub shows README.md as is: its relative links must name files of the repository."""
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith("http"):
            assert (REPO_ROOT / target).is_file(), target
