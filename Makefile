# podnet: every target installs what it needs; a machine with Python 3.11+ and make is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# Offline, account-free synth: no version check, no notices, no telemetry.
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_CLI_TELEMETRY := false
# MkDocs: no banner about Material's successor on every build.
export NO_MKDOCS_2_WARNING := 1
CDK := cdk --no-notices --no-version-reporting
CONFIG ?=
# make deploy runs podnet preflight first (read-only account checks); PREFLIGHT=0 skips it, ENVIRONMENT=NAME checks one.
PREFLIGHT ?= 1
ENVIRONMENT ?=
CDK_CONFIG := $(if $(CONFIG),--context podnet:configFile=$(abspath $(CONFIG)))

.PHONY: setup synth test lint docs plan preflight bootstrap diff deploy destroy bench clean

setup: $(VENV)/.installed node_modules/.installed $(VENV)/checkov/.installed

$(VENV)/.installed: requirements.lock pyproject.toml tools.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "podnet needs Python 3.11+"'
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r tools.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q podnet
	touch $@

# checkov pins an older boto3 than podnet needs: it gets a virtualenv of its own (tests/test_checkov.py runs it).
$(VENV)/checkov/.installed: checkov.lock $(VENV)/.installed
	$(BIN)/uv venv --quiet --clear --python $(BIN)/python $(VENV)/checkov
	$(BIN)/uv pip install --quiet --python $(VENV)/checkov/bin/python --require-hashes -r checkov.lock
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	$(CDK) synth --quiet $(CDK_CONFIG)

plan: setup
	$(BIN)/podnet plan $(if $(CONFIG),--config $(CONFIG)) $(if $(ENVIRONMENT),--environment $(ENVIRONMENT)) $(if $(DEPLOYED),--deployed $(DEPLOYED))

preflight: setup
	$(BIN)/podnet preflight $(if $(CONFIG),--config $(CONFIG)) $(if $(ENVIRONMENT),--environment $(ENVIRONMENT))

# pytest keeps its assertion-rewritten test modules as bytecode, which PYTHONDONTWRITEBYTECODE=1 (set in many
# containers and CI images) forbids: each run, each worker would rewrite them again (about 3 s of CPU per worker).
test: setup
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The documentation site on http://127.0.0.1:8000, rebuilt on every change (make test builds it with --strict); its
# architecture diagram is drawn from the default app, synthesized first.
docs: setup
	$(CDK) synth --quiet --output build/docs-cdk.out
	PODNET_DOCS_ASSEMBLY=build/docs-cdk.out $(BIN)/mkdocs serve

bootstrap: setup
	$(CDK) bootstrap $(TARGET)

diff: setup
	$(CDK) diff $(CDK_CONFIG)

deploy: setup
ifneq ($(PREFLIGHT),0)
	$(BIN)/podnet preflight $(if $(CONFIG),--config $(CONFIG)) $(if $(ENVIRONMENT),--environment $(ENVIRONMENT))
endif
	$(CDK) deploy --all $(CDK_CONFIG)

destroy: setup
	$(CDK) destroy --all $(CDK_CONFIG)

# Custom-networking check of a deployed cluster (needs kubectl access and AWS credentials); STACK: its cluster stack.
STACK ?= podnet-cluster
verify: setup
	$(BIN)/python scripts/verify_custom_networking.py --from-stack $(STACK) $(if $(REGION),--region $(REGION))

bench: setup
	$(BIN)/python scripts/bench.py

clean:
	rm -rf cdk.out site build .pytest_cache .mypy_cache .ruff_cache
