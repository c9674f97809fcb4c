#!/usr/bin/env python3
"""The podnet CDK app: ``cdk synth`` / ``cdk deploy`` entry point (see README.md and podnet/stacks/podnet_app.py)."""

import os
import sys
import threading
from pathlib import Path

from podnet.stacks.pure_imports import import_pure_modules


def main() -> int:
    # While this thread's imports make Node.js load aws-cdk-lib, cdk-nag, cdk8s and the kubectl layer, another
    # imports the pure-Python modules (podnet/stacks/pure_imports.py). A daemon: if aws_cdk fails to import, the
    # error ends the process instead of leaving it waiting for cdk_loaded.
    cdk_loaded = threading.Event()
    pure_imports = threading.Thread(target=import_pure_modules, args=(cdk_loaded,), daemon=True)
    pure_imports.start()
    from aws_cdk import App

    cdk_loaded.set()
    from podnet.config import ConfigError
    from podnet.config.app_config import load_app_config
    from podnet.config.loading import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY
    from podnet.stacks.podnet_app import build_app
    from podnet.stacks.synth_exit import exit_after_synth

    pure_imports.join()

    root = Path(__file__).resolve().parent
    if "CDK_OUTDIR" in os.environ:  # run by the CDK CLI (make synth, cdk deploy): it passes cdk.json's context
        app = App()
    else:  # python app.py: read cdk.json's context (feature flags, podnet settings) as the CLI would
        from podnet.config.loading import read_cdk_json_context

        try:
            cdk_json_context = read_cdk_json_context(root / "cdk.json")
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 1
        app = App(context=cdk_json_context, outdir="cdk.out")  # in the current folder, as the CDK CLI does
        print(
            "podnet: run without the CDK CLI: synthesizing cdk.json's configuration into ./cdk.out (make synth"
            " CONFIG=FILE for another configuration; make deploy to deploy)",
            file=sys.stderr,
        )
    context = {key: app.node.try_get_context(key) for key in (CONTEXT_KEY, CONFIG_FILE_CONTEXT_KEY)}
    try:
        app_config = load_app_config(context, root)
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
