# CodeQuest for Jupyter: `make lab` to launch, `make test` to run every check.
# Everything lives in a virtual environment in .venv; system packages needed by the
# test suite (Chromium, PostgreSQL, bubblewrap) are installed by scripts/system-deps.sh.

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)

LABEXT_SOURCES := $(shell find labextension/src labextension/style labextension/schema -type f 2>/dev/null) \
	labextension/package.json labextension/yarn.lock labextension/tsconfig.json
LABEXT_BUILT := codequest_jupyter/labextension/package.json

.PHONY: setup lab test test-python test-js lint format validate system-deps hub-deps bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The build tools first (jlpm comes with jupyterlab), then the package itself.
$(VENV)/.deps: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q "jupyterlab>=4.0,<5" "hatchling>=1.21" "hatch-jupyter-builder>=0.8" editables
	touch $@

$(LABEXT_BUILT): $(VENV)/.deps $(LABEXT_SOURCES)
	cd labextension && jlpm install --immutable && jlpm build:prod

$(VENV)/.installed: $(VENV)/.deps $(LABEXT_BUILT) pyproject.toml
	$(BIN)/python -m pip install -q --no-build-isolation -e ".[test,dev]"
	$(BIN)/jupyter labextension develop --overwrite . >/dev/null
	touch $@

setup: $(VENV)/.installed

## Launch JupyterLab with the bundled challenges on the embedded SQLite store.
lab: setup
	$(BIN)/codequest lab --root-dir workspace

system-deps:
	bash scripts/system-deps.sh

# configurable-http-proxy for the JupyterHub tests (tests/hub), project-local.
HUB_PROXY := tests/hub/node_modules/.bin/configurable-http-proxy
$(HUB_PROXY): tests/hub/package.json tests/hub/package-lock.json
	cd tests/hub && npm ci --no-audit --no-fund --loglevel=error
	touch $@

hub-deps: $(HUB_PROXY)

validate: setup
	$(BIN)/codequest validate challenges

test-python: setup system-deps hub-deps
	$(BIN)/python -m pytest --durations=25

test-js: setup
	cd labextension && jlpm test

## Every linter, read-only: fails on any finding. Python: ruff (lint and format check)
## and mypy on codequest_jupyter/; labextension/: stylelint, Prettier, ESLint.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd labextension && jlpm lint:check

## Apply the formatters and the linters' automatic fixes (what `make lint` checks).
# Prettier runs first so that stylelint's and ESLint's fixes apply to formatted code
# (one run gives the result of any number of runs).
format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	cd labextension && jlpm prettier && jlpm lint

## Every check: linters, challenges validate, Python suite (engine, store on SQLite and
## PostgreSQL, server API, sandbox, browser tests), widget unit tests, benchmark smoke runs.
test: lint validate test-python test-js
	$(BIN)/python benchmarks/bench_grading.py --quick
	$(BIN)/python benchmarks/bench_history.py --quick
	$(BIN)/python benchmarks/bench_cli.py --quick
	$(BIN)/python benchmarks/bench_server.py --quick
	$(BIN)/python benchmarks/load_test.py --quick
	$(BIN)/python benchmarks/bench_regrade.py --quick
	$(BIN)/python benchmarks/bench_judge.py --quick
	$(BIN)/python benchmarks/bench_roundtrip.py --quick
	$(BIN)/python benchmarks/bench_isolation.py --quick
	$(BIN)/python benchmarks/bench_hub.py --quick
	$(BIN)/python benchmarks/bench_burst.py --quick

## Retake the README's screenshots (docs/screenshots/) with the browser tests that
## take them; `make test` runs the same tests without writing the images.
screenshots: setup system-deps
	CODEQUEST_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
		tests/browser/test_screenshots.py tests/browser/test_theme.py tests/browser/test_dashboard.py

bench: setup
	$(BIN)/python benchmarks/bench_grading.py
	$(BIN)/python benchmarks/bench_server.py
	$(BIN)/python benchmarks/load_test.py
	$(BIN)/python benchmarks/bench_cli.py
	$(BIN)/python benchmarks/bench_history.py
	$(BIN)/python benchmarks/bench_regrade.py
	$(BIN)/python benchmarks/bench_burst.py

clean:
	rm -rf $(VENV) .venv-hub labextension/node_modules labextension/lib codequest_jupyter/labextension tests/hub/node_modules
