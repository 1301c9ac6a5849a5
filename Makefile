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

# Chromium (for chart export and the browser tests) and pdftoppm (to check rendered PDFs).
system:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	  else \
	    echo "Please install the Debian packages chromium and poppler-utils (sudo apt-get install chromium poppler-utils)"; exit 1; \
	  fi; \
	fi

$(DB): | $(STAMP)
	KPI_DB=$(DB) $(PY) -m loaders demo

demo: $(STAMP)
	KPI_DB=$(DB) $(PY) -m loaders demo

run: $(STAMP) system $(DB)
	KPI_DB=$(DB) $(PY) serve.py --server.port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(STAMP) system lint
	$(PY) -m pytest

bench: $(STAMP) system
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artefacts
