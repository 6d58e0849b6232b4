# Two commands set everything up on a fresh machine: `make demo` (the main job) and `make test`.
# Each creates .venv with `python3 -m venv` and installs the project into it on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench soak format clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: venv
venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/cognito-loadtest demo

test: $(STAMP)
	bash .ci/ensure-chromium
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check srp_fast loadtest tests scenarios benchmarks setup.py
	$(BIN)/ruff format --check srp_fast loadtest tests scenarios benchmarks setup.py
	$(BIN)/mypy --strict srp_fast loadtest benchmarks

format: $(STAMP)
	$(BIN)/ruff format srp_fast loadtest tests scenarios benchmarks
	$(BIN)/ruff check --fix srp_fast loadtest tests scenarios benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

soak: $(STAMP)
	$(BIN)/python -m benchmarks --only soak

clean:
	rm -rf $(VENV) .venv-awscli .mypy_cache .ruff_cache .pytest_cache .hypothesis
