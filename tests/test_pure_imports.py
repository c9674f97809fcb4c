"""app.py imports aws-cdk-lib's modules on a thread beside the main thread's jsii package loads: safe only if those
imports call nothing in Node.js (the jsii kernel serves one thread at a time), useful only if the list is complete."""

import json
import subprocess
import sys

from tests.support import REPO_ROOT

#: Run in a fresh interpreter: what a synth imports, and which imports call the jsii kernel.
PROBE = """
import importlib, json, sys
import jsii._kernel.providers.process as process

calls = []
send = process._NodeProcess.send


def counting_send(self, request, response_type):
    calls.append(type(request).__name__)
    return send(self, request, response_type)


process._NodeProcess.send = counting_send
import aws_cdk  # loads aws-cdk-lib into Node.js

from podnet.stacks.pure_imports import CDK_MODULES, CONFIG_MODULE

before = len(calls)
for module in (CONFIG_MODULE, *CDK_MODULES):
    importlib.import_module(module)
pure_calls = calls[before:]
imported_pure = set(sys.modules)
import podnet.stacks.podnet_app  # everything a default synth imports

print(json.dumps({
    "pure_calls": pure_calls,
    "missing": sorted(
        name for name in set(sys.modules) - imported_pure
        if name.startswith("aws_cdk.") and not name.endswith("._jsii") and name.count(".") == 1
    ),
}))
"""

#: Modules with jsii packages of their own: importing them loads the package into Node.js, so the main thread does.
JSII_PACKAGES = {"aws_cdk.lambda_layer_kubectl_v36"}


def _probe() -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_pure_imports_call_nothing_in_node_and_cover_what_a_synth_imports() -> None:
    result = _probe()
    assert result["pure_calls"] == [], "an import in podnet/stacks/pure_imports.py calls into Node.js"
    assert set(result["missing"]) - JSII_PACKAGES == set(), "add these to CDK_MODULES in podnet/stacks/pure_imports.py"
