"""MkDocs hooks (mkdocs.yml): the pictures are drawn at every build, from the real plan and the synthesized app,
and the site's home page is README.md, so none of them can drift from what podnet does.

- ``images/plan-default.svg`` and ``images/plan-origin.svg``: ``podnet plan --format svg`` of cdk.json's
  configuration and of examples/origin.json. README.md shows the committed copy of the first
  (tests/test_plan_svg.py checks it is what podnet draws today).
- ``images/architecture.svg``: the templates of the cloud assembly in ``$PODNET_DOCS_ASSEMBLY`` (``make docs``
  synthesizes the default app there; the tests pass the templates they synthesized).
- README.md links to pages as ``docs/page.md`` (right on GitHub); on the site the pages sit at the top.
"""

import os
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from podnet.config.loading import load_config, read_cdk_json_context
from podnet.diagrams.architecture_svg import architecture_svg, read_templates
from podnet.diagrams.plan_svg import plan_svg
from podnet.plan import make_plan

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSEMBLY_VARIABLE = "PODNET_DOCS_ASSEMBLY"


def plan_picture(config_file: Path | None) -> str:
    """``podnet plan --format svg`` of cdk.json's configuration, overridden by ``config_file``."""
    context = read_cdk_json_context(REPO_ROOT / "cdk.json")
    return plan_svg(make_plan(load_config(context, str(config_file) if config_file else None)))


def readme_for_site(readme: str) -> str:
    """README.md's markdown with its links and images pointing where the site has them."""
    return readme.replace("](docs/", "](").replace("](CONTRIBUTING.md", "](contributing.md")


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    assembly = os.environ.get(ASSEMBLY_VARIABLE)
    if not assembly or not (Path(assembly) / "manifest.json").is_file():
        raise PluginError(
            f"podnet docs: set {ASSEMBLY_VARIABLE} to a synthesized cloud assembly (a cdk.out folder) for the"
            " architecture diagram; make docs does"
        )
    pictures = {
        "images/plan-default.svg": plan_picture(None),
        "images/plan-origin.svg": plan_picture(REPO_ROOT / "examples" / "origin.json"),
        "images/architecture.svg": architecture_svg(read_templates(Path(assembly))),
    }
    for uri, content in pictures.items():
        committed = files.get_file_from_path(uri)
        if committed is not None:
            files.remove(committed)
        files.append(File.generated(config, uri, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri == "index.md":
        return readme_for_site((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    return markdown
