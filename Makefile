# The two commands of the README: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-12)
DB ?= data/dashboard.duckdb
PORT ?= 8501

.PHONY: run test lint bench system demo clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Chromium (for chart export and the browser tests), pdftoppm (to check rendered PDFs) and npm (for axe-core).
system:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils $$(command -v npm >/dev/null || echo npm) >/dev/null; \
	  else \
	    echo "Please install the Debian packages chromium, poppler-utils and npm (sudo apt-get install chromium poppler-utils npm)"; exit 1; \
	  fi; \
	fi

# axe-core, which the browser tests run on every page (WCAG 2.2 AA), pinned in package-lock.json.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json | system
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

$(DB): | $(STAMP)
	KPI_DB=$(DB) $(PY) -m loaders demo

demo: $(STAMP)
	KPI_DB=$(DB) $(PY) -m loaders demo

run: $(STAMP) system $(DB)
	KPI_DB=$(DB) $(PY) serve.py --server.port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(STAMP) system $(AXE) lint
	$(PY) -m pytest

bench: $(STAMP) system
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artefacts node_modules
