"""Creation order in a CloudFormation template: what must exist before a resource is created or updated."""

from collections.abc import Iterator
from typing import Any


def references(value: Any) -> Iterator[str]:
    """Logical ids a template value refers to (Ref, Fn::GetAtt), at any depth."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
    elif isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif set(value) == {"Fn::GetAtt"}:
            yield value["Fn::GetAtt"][0]
        else:
            for item in value.values():
                yield from references(item)


def depends_on(resource: dict[str, Any]) -> set[str]:
    """The resource's DependsOn entries (a string or a list)."""
    entries = resource.get("DependsOn", [])
    return {entries} if isinstance(entries, str) else set(entries)


def created_before(template: dict[str, Any], logical_id: str) -> set[str]:
    """Every resource CloudFormation handles before ``logical_id``: DependsOn and references, transitively."""
    resources = template["Resources"]
    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        resource = resources[pending.pop()]
        direct = depends_on(resource) | set(references(resource))
        for other in direct & resources.keys() - seen:
            seen.add(other)
            pending.append(other)
    return seen
