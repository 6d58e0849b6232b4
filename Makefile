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

# Byte-compile the checkout's own modules (pip compiles what it installs, not an editable
# checkout). With PYTHONDONTWRITEBYTECODE set, as on the development machine, Python never
# writes them itself, and each child process (pool servers, Locust, cognito-loadtest commands:
# hundreds in `make test`) compiled the project again: ~0.2 s of CPU for one that imports the
# whole client.
# Incremental: only changed files are compiled again (~0.2 s when nothing changed).
PRECOMPILE := $(BIN)/python -m compileall -q -j 0 srp_fast loadtest scenarios benchmarks > /dev/null

demo: $(STAMP)
	$(PRECOMPILE)
	$(BIN)/cognito-loadtest demo

# Two passes: the independent tests on TEST_WORKERS xdist workers (tests sharing a costly or
# racy setup are grouped with @pytest.mark.xdist_group, hence --dist loadgroup), then the tests
# marked serial, which measure rates and need the CPU to themselves, one at a time. Exit code 5
# (nothing collected, e.g. 'make test PYTEST_ARGS="-k onset"') does not fail a pass. Each pass
# lists its slowest tests, so a CI log shows where the suite's time goes.
TEST_WORKERS ?= 4
PYTEST_ARGS ?=
test: $(STAMP)
	bash .ci/ensure-chromium
	bash .ci/ensure-js-deps
	$(PRECOMPILE)
	$(BIN)/pytest -m "not serial" -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/pytest -m serial --durations=0 $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: $(STAMP)
	$(BIN)/ruff check srp_fast loadtest tests scenarios benchmarks setup.py
	$(BIN)/ruff format --check srp_fast loadtest tests scenarios benchmarks setup.py
	$(BIN)/mypy --strict srp_fast loadtest benchmarks

format: $(STAMP)
	$(BIN)/ruff format srp_fast loadtest tests scenarios benchmarks
	$(BIN)/ruff check --fix srp_fast loadtest tests scenarios benchmarks

bench: $(STAMP)
	$(PRECOMPILE)
	$(BIN)/python -m benchmarks

soak: $(STAMP)
	$(PRECOMPILE)
	$(BIN)/python -m benchmarks --only soak

clean:
	rm -rf $(VENV) .venv-awscli .mypy_cache .ruff_cache .pytest_cache .hypothesis
