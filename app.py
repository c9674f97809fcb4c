#!/usr/bin/env python3
"""The podnet CDK app: ``cdk synth`` / ``cdk deploy`` entry point (see README.md)."""

import sys

from aws_cdk import App

from podnet.config import ConfigError, load_config
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY
from podnet.config.validation import validate
from podnet.stacks.deployment import add_podnet_stacks


def main() -> int:
    app = App()
    context = {key: app.node.try_get_context(key) for key in (CONTEXT_KEY, CONFIG_FILE_CONTEXT_KEY)}
    try:
        config = load_config(context)
        warnings = validate(config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"podnet: warning: {warning}", file=sys.stderr)
    add_podnet_stacks(app, config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
