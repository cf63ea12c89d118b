# Two commands for a fresh machine: `make run` (set up, start the app) and `make test` (set up, run all checks).
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 8501

.PHONY: setup run test lint bench lock

# Installs the exact versions in requirements.lock (pyproject.toml keeps the floors), so two installs a month
# apart test and run the same libraries. The editable install puts the checkout on the path (compat mode): the
# default mode maps planner/data onto data/ through an import hook and prints a warning banner on every install.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]" --config-settings editable_mode=compat
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: setup
	$(BIN)/python bench/bench_evaluate.py

# Re-resolve requirements.lock from pyproject.toml (newest versions within the floors), with pip-tools in a
# throw-away virtualenv; run the tests after.
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml
	rm -rf .lock-venv
