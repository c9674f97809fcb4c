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
# The podnet options that name the configuration (and the environment) the way cdk.json and CONFIG do.
PODNET_CONFIG := $(if $(CONFIG),--config $(CONFIG)) $(if $(ENVIRONMENT),--environment $(ENVIRONMENT))
# The cdk names of the stacks deploy and destroy act on: those of ENVIRONMENT only, and an error (listing the
# environments) when the configuration has several and ENVIRONMENT is not set.
SELECT_STACKS = stacks=$$($(BIN)/podnet stacks --cdk $(PODNET_CONFIG))

.PHONY: help setup synth test lint docs plan preflight bootstrap diff deploy destroy verify bench clean

# make help: every target with what it does (the text after "##" on its line).
help:
	@awk -F ':.*## ' '/^[a-z]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.installed node_modules/.installed $(VENV)/checkov/.installed ## install Python and Node.js dependencies into .venv and node_modules (every target does it first)

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

# make synth starts from a cloud assembly without another configuration's templates (stages, stacks of another
# clusterName); the staged assets (asset.*) stay, as they save copying the same files again.
CDK_OUT ?= cdk.out
synth: setup ## synthesize the stacks offline into cdk.out (CONFIG=FILE: another configuration)
	[ ! -d $(CDK_OUT) ] || find $(CDK_OUT) -mindepth 1 -maxdepth 1 ! -name 'asset.*' -exec rm -rf {} +
	$(CDK) synth --quiet --output $(CDK_OUT) $(CDK_CONFIG)

plan: setup ## print the IP plan (CONFIG, ENVIRONMENT; DEPLOYED=FILE or DEPLOYED=stack compares with what is deployed)
	$(BIN)/podnet plan $(PODNET_CONFIG) $(if $(DEPLOYED),--deployed $(filter-out stack,$(DEPLOYED)))

preflight: setup ## read-only checks of the AWS account before a deploy (CONFIG, ENVIRONMENT)
	$(BIN)/podnet preflight $(PODNET_CONFIG)

# pytest keeps its assertion-rewritten test modules as bytecode, which PYTHONDONTWRITEBYTECODE=1 (set in many
# containers and CI images) forbids: each run, each worker would rewrite them again (about 3 s of CPU per worker).
test: setup ## run the test suite (about a minute on two cores)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

lint: setup ## ruff, ruff format, mypy --strict and the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The documentation site on http://127.0.0.1:8000, rebuilt on every change (make test builds it with --strict); its
# architecture diagram is drawn from the default app, synthesized first.
docs: setup ## serve the documentation site on http://127.0.0.1:8000
	$(CDK) synth --quiet --output build/docs-cdk.out
	PODNET_DOCS_ASSEMBLY=build/docs-cdk.out $(BIN)/mkdocs serve

bootstrap: setup ## bootstrap the CDK in an account and region once (TARGET=aws://ACCOUNT/REGION)
	$(CDK) bootstrap $(TARGET)

# Without ENVIRONMENT, diff compares every stack (it changes nothing).
diff: setup ## show what a deploy would change (ENVIRONMENT=NAME: that environment's stacks only)
	$(if $(ENVIRONMENT),$(SELECT_STACKS) && )$(CDK) diff $(if $(ENVIRONMENT),$$stacks) $(CDK_CONFIG)

deploy: setup ## preflight, then deploy (ENVIRONMENT=NAME required with several environments; PREFLIGHT=0 skips preflight)
	$(SELECT_STACKS) && \
	$(if $(filter-out 0,$(PREFLIGHT)),$(BIN)/podnet preflight $(PODNET_CONFIG) &&) \
	$(CDK) deploy $$stacks $(CDK_CONFIG)

destroy: setup ## delete the stacks (ENVIRONMENT=NAME required with several environments)
	$(SELECT_STACKS) && $(CDK) destroy $$stacks $(CDK_CONFIG)

# Custom-networking check of a deployed cluster (needs kubectl access and AWS credentials): the configuration's
# cluster stack and region (CONFIG, ENVIRONMENT); STACK and REGION override them.
verify: setup ## check custom networking on the running cluster (CONFIG, ENVIRONMENT; STACK and REGION override)
	target=$$($(BIN)/podnet stacks --cluster $(PODNET_CONFIG)) && set -- $$target && \
	$(BIN)/python scripts/verify_custom_networking.py --from-stack $(or $(STACK),$$1) --region $(or $(REGION),$$2)

bench: setup ## measure synth time
	$(BIN)/python scripts/bench.py

clean: ## remove cdk.out and tool caches
	rm -rf cdk.out site build .pytest_cache .mypy_cache .ruff_cache
