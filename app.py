#!/usr/bin/env python3
"""The podnet CDK app: ``cdk synth`` / ``cdk deploy`` entry point (see README.md and podnet/stacks/podnet_app.py)."""

import sys
from pathlib import Path

from aws_cdk import App

from podnet.config import ConfigError
from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY
from podnet.stacks.podnet_app import build_app, load_app_config


def main() -> int:
    app = App()
    context = {key: app.node.try_get_context(key) for key in (CONTEXT_KEY, CONFIG_FILE_CONTEXT_KEY)}
    try:
        app_config = load_app_config(context, Path(__file__).resolve().parent)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in app_config.warnings:
        print(f"podnet: warning: {warning}", file=sys.stderr)
    build_app(app, app_config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
