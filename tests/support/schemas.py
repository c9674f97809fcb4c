"""Strict JSON-Schema validators for custom resources, built from the upstream CRDs.

Upstream CRDs never set ``additionalProperties: false``, so the API server (and nodeadm) silently accept a
misspelled field such as ``securityGroup:`` and the setting never takes effect. Closing every declared object
turns such typos into test failures.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

from tests.support import FIXTURES

Schema = dict[str, Any]

_PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"
# Kubernetes object names (RFC 1123 subdomain), as the API server checks them for cluster-scoped objects.
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}


def load_crd(path: Path) -> dict[str, Any]:
    """The CustomResourceDefinition document in ``path`` (the first YAML document of that kind)."""
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            return doc
    raise ValueError(f"{path} holds no CustomResourceDefinition")


def crd_schema(crd: Mapping[str, Any], version: str) -> Schema:
    """A deep copy of the ``openAPIV3Schema`` of one served version of ``crd``."""
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            return copy.deepcopy(entry["schema"]["openAPIV3Schema"])
    names = [entry["name"] for entry in crd["spec"]["versions"]]
    raise KeyError(f"{crd['metadata']['name']} has no version {version!r} (has {names})")


def strict_schema(schema: Mapping[str, Any]) -> Schema:
    """A copy of ``schema`` in which every object with declared ``properties`` rejects undeclared ones.

    Objects marked ``x-kubernetes-preserve-unknown-fields`` stay open (their unknown fields are legitimate), but
    their declared children are still closed. ``allOf``/``anyOf``/``oneOf``/``not`` branches are left alone: a
    structural schema declares every property outside the junctors too, so closing a branch would reject
    properties that the branch merely does not repeat.
    """
    result = copy.deepcopy(dict(schema))
    _close(result)
    return result


def _close(node: Schema) -> None:
    properties = node.get("properties")
    if isinstance(properties, dict):
        if not node.get(_PRESERVE_UNKNOWN) and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for child in properties.values():
            _close(child)
    items = node.get("items")
    if isinstance(items, dict):
        _close(items)
    elif isinstance(items, list):
        for item in items:
            _close(item)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        _close(additional)


def custom_resource_validator(crd: Mapping[str, Any], version: str, *, require_name: bool) -> Draft7Validator:
    """A validator for a whole custom resource (apiVersion, kind, metadata, spec) of ``crd`` at ``version``.

    On top of :func:`strict_schema` it pins ``apiVersion``/``kind`` to the CRD's group, version and kind, and it
    closes the top level even where the CRD preserves unknown fields there (ENIConfig does): a misspelled ``spec``
    would otherwise pass unnoticed. ``require_name`` demands a valid ``metadata.name``, which every API object
    needs but a nodeadm NodeConfig in user data does not.
    """
    schema = strict_schema(crd_schema(crd, version))
    schema.pop(_PRESERVE_UNKNOWN, None)
    schema["additionalProperties"] = False
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "const": f"{crd['spec']['group']}/{version}"}
    properties["kind"] = {"type": "string", "const": crd["spec"]["names"]["kind"]}
    metadata: Schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 253, "pattern": _DNS_SUBDOMAIN},
            "labels": _STRING_MAP,
            "annotations": _STRING_MAP,
        },
    }
    required = {"apiVersion", "kind", *schema.get("required", [])}
    if require_name:
        metadata["required"] = ["name"]
        required.add("metadata")
    properties["metadata"] = metadata
    schema["required"] = sorted(required)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@cache
def eniconfig_validator() -> Draft7Validator:
    """Validator for ``crd.k8s.amazonaws.com/v1alpha1`` ENIConfig objects (VPC CNI v1.23.1 CRD)."""
    return custom_resource_validator(load_crd(FIXTURES / "eniconfig-crd.yaml"), "v1alpha1", require_name=True)


@cache
def nodeconfig_validator() -> Draft7Validator:
    """Validator for ``node.eks.aws/v1alpha1`` NodeConfig documents (nodeadm CRD, AMI release v20260724)."""
    return custom_resource_validator(load_crd(FIXTURES / "nodeconfig-crd.yaml"), "v1alpha1", require_name=False)


def validation_errors(validator: Draft7Validator, instance: Any) -> list[str]:
    """Every schema violation in ``instance`` as ``path: message``, sorted, so a test can assert on them."""
    return sorted(
        f"{'.'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(instance)
    )
