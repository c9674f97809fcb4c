"""The documentation site builds with --strict (broken links and anchors fail), and the README stays short."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_site_builds_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
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
