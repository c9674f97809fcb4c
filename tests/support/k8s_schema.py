"""Validate core Kubernetes objects (e.g. the aws-auth ConfigMap) against the Kubernetes OpenAPI schema.

Uses the strict (``additionalProperties: false``) JSON schemas shipped with kubernetes-validate, so a misspelled
field fails here instead of being dropped by the API server. ``kubernetes_validate.validate`` stops at the first
error; this module reports all of them, with the schema version pinned explicitly.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

_SCHEMA_ROOT = files("kubernetes_validate") / "kubernetes-json-schema"
_STRICT_DIR = re.compile(r"^v(\d+)\.(\d+)\.0-local-strict$")


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.removeprefix("v").split(".")[:2]
    return int(major), int(minor)


def available_versions() -> list[str]:
    """Kubernetes ``major.minor`` versions with strict schemas in the installed kubernetes-validate."""
    found = [_STRICT_DIR.match(entry.name) for entry in _SCHEMA_ROOT.iterdir()]
    return sorted((f"{m[1]}.{m[2]}" for m in found if m), key=_minor)


def schema_version(kubernetes_version: str) -> str:
    """The newest available schema version not newer than ``kubernetes_version`` (an older cluster lacks fields)."""
    candidates = [v for v in available_versions() if _minor(v) <= _minor(kubernetes_version)]
    if not candidates:
        raise LookupError(f"kubernetes-validate has no schema for Kubernetes {kubernetes_version} or older")
    return candidates[-1]


def _load(directory: str, name: str) -> Any:
    return json.loads((_SCHEMA_ROOT / directory / name).read_text(encoding="utf-8"))


@cache
def _validator(version: str, kind: str, api_version: str) -> Draft202012Validator:
    directory = f"v{version}.0-local-strict"
    # File naming of kubernetes-validate: group without domain, then version (rbac.authorization.k8s.io/v1 -> rbac-v1).
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = _load(directory, f"{kind.lower()}-{group_version}.json")
    registry: Registry[Any] = Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json", Resource.from_contents(_load(directory, "_definitions.json"))
    )
    return Draft202012Validator(schema, registry=registry)


def kubernetes_errors(obj: dict[str, Any], kubernetes_version: str) -> list[str]:
    """Every strict-schema violation of ``obj`` for ``kubernetes_version`` as ``path: message``, sorted."""
    validator = _validator(schema_version(kubernetes_version), obj["kind"], obj["apiVersion"])
    return sorted(
        f"{'.'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(obj)
    )
