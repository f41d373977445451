# Estate — every task a developer or CI needs. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test lint lock migrate bench clean

help: ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Estate with its pinned dependencies

run: install ## Migrate and serve on http://127.0.0.1:8000 (SQLite at ./var/estate.db)
	$(BIN)/estate serve --host $(HOST) --port $(PORT)

migrate: install ## Bring the database schema to the newest revision
	$(BIN)/estate migrate

TEST_WORKERS ?= 2
test: install ## Check migrations and run the whole test suite (TEST_WORKERS processes, each its own database and server)
	$(BIN)/python -m estate.db.check
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install ## ruff and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

lock: ## Re-pin requirements.lock from pyproject.toml
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv && .lockvenv/bin/pip install --quiet -e '.[dev]'
	{ echo "# Pinned dependencies of Estate (runtime and development). Regenerate with 'make lock'."; \
	  .lockvenv/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lockvenv

SIZE ?= 1000
bench: install ## Inventory ingest and read benchmarks on a SIZE-machine fleet (bench/README.md lists all)
	$(BIN)/python -m bench.ingest --size $(SIZE)
	$(BIN)/python -m bench.queries --size $(SIZE)

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
