# Sanbu: `make demo` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SANBU := $(BIN)/sanbu
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# Where the SQLite files and collected static files live (the settings read the same variable).
VAR_DIR := $(abspath $(or $(SANBU_VAR_DIR),var))
DEMO_SETTINGS := sanbu.config.settings.demo

.PHONY: help install demo serve test lint browsers bench clean policy-coverage

help:
	@echo "make demo     install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test     ruff, mypy and pytest (browser tests included)"
	@echo "make bench    catalog, audit-chain, policy-gate, scoring and gateway benchmarks -> bench/results/{catalog,audit,policy,scoring,gateway}.json"
	@echo "make serve    serve with granian (WSGI, $(WORKERS) workers); production settings unless DJANGO_SETTINGS_MODULE is set"
	@echo "make lint     ruff and mypy only"
	@echo "make install  create .venv and install the package with its dev extras"
	@echo "make clean    remove .venv, caches and collected static files (not the databases)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium through Playwright; Noto CJK so Chinese renders (in the browser and
# in the PDFs of core.documents); poppler-utils (pdftotext, pdffonts) so the document tests can read PDFs.
browsers:
	@packages=""; \
	{ [ -x /usr/bin/chromium ] && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || packages="chromium fonts-noto-cjk"; \
	command -v pdftotext >/dev/null || packages="$$packages poppler-utils"; \
	packages="$${packages# }"; [ -n "$$packages" ] || exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing $$packages (browser and document tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$packages >/dev/null; \
	else \
		echo "warning: $$packages missing and not root: browser tests (chromium, fonts) or PDF text checks (poppler-utils) will be skipped" >&2; \
	fi

lint: install
	$(BIN)/ruff check $(wildcard src tests bench conftest.py)
	$(BIN)/mypy

# The pure policy core is held at 100 % line and branch coverage by its own tests (DESIGN.md).
policy-coverage: install
	$(BIN)/pytest -q src/sanbu/policy --cov=sanbu.policy --cov-report=term-missing:skip-covered --cov-fail-under=100

test: lint browsers policy-coverage
	$(BIN)/pytest

# Each writes bench/results/<name>.json; the gateway one runs granian and wrk (installed if missing).
bench: install
	$(BIN)/python bench/run_catalog.py
	$(BIN)/python bench/run_audit.py
	$(BIN)/python bench/run_policy.py
	$(BIN)/python bench/run_scoring.py
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python bench/run_gateway.py

# Static files are collected to $(VAR_DIR)/static and served by granian itself (no extra package).
define GRANIAN
$(BIN)/granian --interface wsgi --no-ws sanbu.config.wsgi:application --host $(HOST) --port $(PORT) \
	--workers $(WORKERS) --workers-kill-timeout 10 --static-path-route /static --static-path-mount $(VAR_DIR)/static
endef

serve: export DJANGO_SETTINGS_MODULE ?= sanbu.config.settings.prod
serve: install
	$(SANBU) collectstatic --noinput -v 0
	$(GRANIAN)

demo: export DJANGO_SETTINGS_MODULE := $(DEMO_SETTINGS)
demo: install
	$(SANBU) migrate --noinput -v 0
	$(SANBU) migrate --database datastore --noinput -v 0
	$(SANBU) collectstatic --noinput -v 0
	$(SANBU) load_demo
	$(SANBU) generate_base_data --persons 10000 --orgs 2000
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(GRANIAN)

clean:
	rm -rf $(VENV) src/*.egg-info build .pytest_cache .mypy_cache .ruff_cache test-results $(VAR_DIR)/static
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
