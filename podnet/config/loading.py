"""Read the configuration: cdk.json context key ``podnet``, overridden by an optional JSON/YAML file."""

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from podnet.config.errors import ConfigError
from podnet.config.model import (
    ExistingSubnet,
    ExistingVpcConfig,
    IpAlarmsConfig,
    NodesConfig,
    PipelineConfig,
    PodnetConfig,
)

CONTEXT_KEY = "podnet"
CONFIG_FILE_CONTEXT_KEY = "podnet:configFile"


class _WrittenFloat(float):
    """A number read from a file that keeps its text: YAML's ``1.30`` is the float 1.3, but the user wrote 1.30."""

    written: str


class _WrittenInt(int):
    """The same for integers: an account id written unquoted is a number too."""

    written: str


_Number = TypeVar("_Number", _WrittenFloat, _WrittenInt)


def _written(number: _Number, text: str) -> _Number:
    number.written = text
    return number


class _ConfigLoader(yaml.SafeLoader):
    """yaml.safe_load, except that numbers remember how they were written (for "quote it: '1.30'")."""


def _yaml_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    assert isinstance(node, yaml.ScalarNode)
    return _written(_WrittenFloat(loader.construct_yaml_float(node)), node.value)


def _yaml_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    assert isinstance(node, yaml.ScalarNode)
    return _written(_WrittenInt(loader.construct_yaml_int(node)), node.value)


_ConfigLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)
_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int)


def _load_json(text: str) -> Any:
    return json.loads(
        text,
        parse_float=lambda number: _written(_WrittenFloat(number), number),
        parse_int=lambda number: _written(_WrittenInt(number), number),
    )


def read_cdk_json_context(cdk_json: Path) -> dict[str, Any]:
    """The ``context`` of a cdk.json, as the CDK CLI would pass it to app.py."""
    try:
        return dict(_load_json(cdk_json.read_text()).get("context", {}))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read {cdk_json}: {error}; fix the file or run from the project folder") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """A JSON or YAML configuration file (same keys as cdk.json's ``podnet`` context)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"configFile {path}: {error.strerror}; pass an existing JSON or YAML file") from None
    try:
        data = _load_json(text) if path.suffix == ".json" else yaml.load(text, Loader=_ConfigLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        where = str(error).splitlines()[0]
        raise ConfigError(f"configFile {path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f'configFile {path} must hold a mapping of settings, e.g. {{"clusterName": "demo"}}')
    return data


#: Settings groups merge key by key; every other value, maps such as ``podSubnets`` included, is replaced whole
#: (an override that lists two pod subnets means exactly those two).
MERGED_GROUPS = ("nodes", "pipeline", "ipAlarms")


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Override wins key by key; the settings groups (``nodes``, ``pipeline``, ``ipAlarms``) merge one level deeper."""
    merged = dict(base)
    for key, value in override.items():
        if key in MERGED_GROUPS and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_config(context: Mapping[str, Any], config_file: str | Path | None = None) -> PodnetConfig:
    """Build the configuration from CDK context (and the file it or the caller names), or raise ConfigError."""
    raw = context.get(CONTEXT_KEY) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"context key '{CONTEXT_KEY}' must be an object of settings in cdk.json")
    file = config_file or context.get(CONFIG_FILE_CONTEXT_KEY)
    if file:
        raw = merge(raw, read_config_file(Path(file)))
    return parse_config(raw)


def parse_config(raw: Mapping[str, Any]) -> PodnetConfig:
    """Validate a raw mapping into a PodnetConfig; the first problem becomes a one-line ConfigError."""
    try:
        return PodnetConfig.model_validate(dict(raw))
    except ValidationError as error:
        problems = error.errors()
        # A misspelt key also shows up as the required key it was meant to be: report the misspelling.
        first = next((problem for problem in problems if problem["type"] == "extra_forbidden"), problems[0])
        raise ConfigError(describe(first)) from None


def describe(problem: Mapping[str, Any]) -> str:
    """One line for one pydantic error: the setting (as the user spells it) and what to do."""
    location = [str(part) for part in problem["loc"]]
    setting = ".".join(location)
    if problem["type"] == "extra_forbidden":
        known = _known_keys(location[:-1])
        close = difflib.get_close_matches(location[-1], known, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"known settings: {', '.join(sorted(known))}"
        return f"unknown setting '{setting}'; {hint}"
    given = problem.get("input")
    if problem["type"] == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
        written = getattr(given, "written", str(given))
        number = "a number" if written == str(given) else f"the number {given}"
        return f"{setting}: {written} is read as {number}, not as text; quote it: '{written}'"
    return f"{setting}: {problem['msg'].rstrip('.')} (got {given!r}); fix it in cdk.json or your config file"


def _known_keys(parent: list[str]) -> list[str]:
    models: dict[str, type[BaseModel]] = {
        "nodes": NodesConfig,
        "pipeline": PipelineConfig,
        "existingVpc": ExistingVpcConfig,
        "ipAlarms": IpAlarmsConfig,
    }
    in_node_subnets = len(parent) == 3 and parent[:2] == ["existingVpc", "nodeSubnets"]
    model = ExistingSubnet if in_node_subnets else models.get(".".join(parent), PodnetConfig)
    return [field.alias or name for name, field in model.model_fields.items()]
