"""Read values that CloudFormation computes at deploy time, with placeholders for the unknown parts."""

import json
from typing import Any


def render(value: Any) -> Any:
    """Flatten intrinsic functions: Fn::Join is joined, references become ``<...>`` placeholders.

    ``{"Ref": "X"}`` -> ``<Ref:X>``, ``{"Fn::GetAtt": ["X", "Arn"]}`` -> ``<X.Arn>``,
    ``{"Fn::ImportValue": "E"}`` -> ``<Import:E>``; Fn::Base64 is left out (the content is what matters).
    """
    if isinstance(value, list):
        return [render(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Fn::Join":
            separator, parts = arg
            return separator.join(str(render(part)) for part in parts)
        if key == "Ref":
            return f"<Ref:{arg}>"
        if key == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if key == "Fn::ImportValue":
            return f"<Import:{render(arg)}>"
        if key == "Fn::Base64":
            return render(arg)
    return {key: render(item) for key, item in value.items()}


def render_json(value: Any) -> Any:
    """A JSON document held in a template string property (e.g. a KubernetesManifest's Manifest)."""
    return json.loads(render(value))
