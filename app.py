#!/usr/bin/env python3
"""The podnet CDK app: ``cdk synth`` / ``cdk deploy`` entry point (see README.md and podnet/stacks/podnet_app.py)."""

import sys
import threading
from pathlib import Path


def main() -> int:
    # Importing aws_cdk makes the jsii kernel (Node.js) load aws-cdk-lib while this process only waits; the
    # configuration code is pure Python (pydantic, YAML), so a thread imports it in the meantime instead of after.
    config_import = threading.Thread(target=__import__, args=("podnet.config.environments",))
    config_import.start()
    from aws_cdk import App

    config_import.join()
    from podnet.config import ConfigError
    from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY
    from podnet.stacks.podnet_app import build_app, load_app_config
    from podnet.stacks.synth_exit import exit_after_synth

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
    exit_after_synth(app.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
