# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export DBT_PROFILES_DIR := $(CURDIR)/.dbt

.PHONY: install demo test lint bench bench-tracker clean help

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[pipeline,dev]'
	touch $@

# The Spark target and the PySpark distribution the tests' loopback cluster
# starts from (a large download): only `make test` needs them.
SPARK_STAMP := $(VENV)/.spark-stamp
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[pipeline,dev,spark]'
	touch $@

# Generated from the example, never over a profile someone edited (the
# command line applies the same rule on every run).
.dbt/profiles.yml: profiles.example.yml $(STAMP)
	env -u DBT_PROFILES_DIR $(BIN)/python -c 'from pathlib import Path; from conversation_analytics.warehouse.dbt_runner import ensure_profiles_dir; ensure_profiles_dir(Path.cwd())'

install: $(STAMP) .dbt/profiles.yml  ## Create .venv and install the project.

demo: install  ## Simulate a month of conversations into DuckDB, build, print the marts.
	$(BIN)/conversation-analytics demo

test: install $(SPARK_STAMP)  ## Everything: ruff, dbt build on DuckDB and PostgreSQL, a Spark cluster, pytest, sqlfluff.
	scripts/run-tests.sh

lint: install  ## ruff and sqlfluff only.
	$(BIN)/ruff check src tests/python examples
	$(BIN)/sqlfluff lint models macros tests analyses

bench: install  ## The scale benchmark (issue: run at scale); EVENTS=10000000 for the big one.
	$(BIN)/conversation-analytics bench --events $${EVENTS:-1000000}

bench-tracker: install  ## The tracker's cost per call and throughput into each store.
	$(BIN)/conversation-analytics bench-tracker

clean:  ## Remove build output (keeps .venv).
	rm -rf target logs .dbt *.duckdb
