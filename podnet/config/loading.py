"""Read the configuration: cdk.json context key ``podnet``, overridden by an optional JSON/YAML file."""

import difflib
import json
import re
from collections.abc import Hashable, Mapping
from ipaddress import IPv4Network
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


#: Bounds on a configuration file, far above any real one (podnet's examples: under 3 KB, 6 levels, 200 values).
#: They keep a hostile file from costing time or memory: YAML aliases can make a 600-byte file expand to
#: millions of values in whatever walks it, and deep nesting exhausts Python's recursion.
MAX_FILE_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_VALUES = 100_000


class _ConfigLoader(yaml.SafeLoader):
    """yaml.safe_load, except that numbers remember how they were written (for "quote it: '1.30'") and a mapping
    that sets a key twice is an error (YAML's "last one wins" hides mistakes). Merge keys (``<<: *base``) may
    still be overridden: that is what they are for."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}: set it once", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    assert isinstance(node, yaml.ScalarNode)
    return _written(_WrittenFloat(loader.construct_yaml_float(node)), node.value)


def _yaml_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    assert isinstance(node, yaml.ScalarNode)
    return _written(_WrittenInt(loader.construct_yaml_int(node)), node.value)


_ConfigLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)
_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int)


class DuplicateKeyError(ValueError):
    """A JSON object that sets a key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(f"duplicate key {key!r}: set it once")
        result[key] = value
    return result


def _load_json(text: str, *, unique_keys: bool = False) -> Any:
    return json.loads(
        text,
        parse_float=lambda number: _written(_WrittenFloat(number), number),
        parse_int=lambda number: _written(_WrittenInt(number), number),
        object_pairs_hook=_unique_keys if unique_keys else None,
    )


def read_cdk_json_context(cdk_json: Path) -> dict[str, Any]:
    """The ``context`` of a cdk.json, as the CDK CLI would pass it to app.py."""
    fix = "fix the file or run from the project folder"
    try:
        data = _load_json(cdk_json.read_bytes().decode("utf-8-sig"))
    except OSError as error:
        raise ConfigError(f"cannot read {cdk_json}: {error.strerror}; {fix}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {cdk_json}: it is not UTF-8 text; {fix}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"cannot read {cdk_json}: not valid JSON ({error}); {fix}") from None
    except RecursionError:
        raise ConfigError(f"cannot read {cdk_json}: it nests deeper than Python can read; {fix}") from None
    context = data.get("context", {}) if isinstance(data, dict) else None
    if not isinstance(context, dict):
        raise ConfigError(f'cannot read {cdk_json}: it must be a JSON object whose "context" is an object; {fix}')
    return dict(context)


def read_config_file(path: Path) -> dict[str, Any]:
    """A JSON or YAML configuration file (same keys as cdk.json's ``podnet`` context), UTF-8 with or without a
    byte-order mark, each key set once, within MAX_FILE_BYTES, MAX_DEPTH and MAX_VALUES."""
    kind = "JSON" if path.suffix == ".json" else "YAML"
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(
                f"configFile {path} is {path.stat().st_size} bytes, more than a configuration needs (at most"
                f" {MAX_FILE_BYTES}); pass podnet's settings file"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ConfigError(f"configFile {path}: {error.strerror}; pass an existing JSON or YAML file") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"configFile {path} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start});"
            " save it as UTF-8"
        ) from None
    try:
        data = _load_json(text, unique_keys=True) if kind == "JSON" else yaml.load(text, Loader=_ConfigLoader)
    except (json.JSONDecodeError, yaml.YAMLError, DuplicateKeyError) as error:
        raise ConfigError(f"configFile {path} is not valid {kind}: {_first_problem(error)}") from None
    except RecursionError:
        raise ConfigError(
            f"configFile {path} nests deeper than Python can read; podnet's settings nest {MAX_DEPTH} levels at most"
        ) from None
    _check_size(path, data)
    if not isinstance(data, dict):
        raise ConfigError(f'configFile {path} must hold a mapping of settings, e.g. {{"clusterName": "demo"}}')
    return data


def _first_problem(error: Exception) -> str:
    """What is wrong and where, in one line."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"{error.problem or error.context}{where}"
    return " ".join(str(error).split())


def _check_size(path: Path, data: Any) -> None:
    """Walk the data as its consumers will (YAML aliases expanded), stopping at the first bound it passes."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    values = 0
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            raise ConfigError(
                f"configFile {path} expands to more than {MAX_VALUES} values (YAML aliases repeat what they point to);"
                " write the settings out without nested aliases"
            )
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"configFile {path} nests more than {MAX_DEPTH} levels deep; podnet's settings nest far less"
            )
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)


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
    file = config_file if config_file is not None else context.get(CONFIG_FILE_CONTEXT_KEY)
    if file is not None and not str(file).strip():
        raise ConfigError(
            "the configuration file name is empty (--config '' or CONFIG=); name a JSON or YAML file, or leave it out"
            " for cdk.json's settings alone"
        )
    if file is not None:
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
    if problem["type"] == "ip_v4_network" and isinstance(given, str):
        return f"{setting}: {_cidr_problem(given)}"
    if problem["type"] == "string_type" and isinstance(given, bool):
        return (
            f"{setting}: YAML reads an unquoted yes, no, on, off, true or false as the boolean {str(given).lower()},"
            " not as text; quote it, e.g. 'no'"
        )
    if problem["type"] == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
        written = getattr(given, "written", str(given))
        number = "a number" if written == str(given) else f"the number {given}"
        return f"{setting}: {written} is read as {number}, not as text; quote it: '{written}'"
    return f"{setting}: {problem['msg'].rstrip('.')} (got {given!r}); fix it in cdk.json or your config file"


def _cidr_problem(text: str) -> str:
    """Why ``text`` is not an IPv4 CIDR block, and the block the user probably meant."""
    address = text.split("/", 1)[0]
    if re.search(r"(^|\.)0\d", address):
        meant = ".".join(str(int(part)) if part.isdigit() else part for part in address.split("."))
        suffix = text[len(address) :]
        return f"{text!r} has leading zeros, which some tools read as octal and Python refuses; write {meant}{suffix}"
    try:
        network = IPv4Network(text, strict=False)
    except ValueError:
        return f"{text!r} is not an IPv4 CIDR block; write one such as 10.0.0.0/16 (address/prefix length 0-32)"
    return f"{text!r} has host bits set; use the block's network address, {network}"


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
