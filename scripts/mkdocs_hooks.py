"""MkDocs hooks (mkdocs.yml): the site's home page is README.md, so the two never drift apart.

README.md links to pages as ``docs/page.md`` (right on GitHub); on the site the pages sit at the top.
"""

from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def readme_for_site(readme: str) -> str:
    """README.md's markdown with its links and images pointing where the site has them."""
    return readme.replace("](docs/", "](").replace("](CONTRIBUTING.md", "](contributing.md")


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri == "index.md":
        return readme_for_site((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    return markdown
