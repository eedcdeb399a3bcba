# Two commands for a newcomer: `make run` (the whole development stack) and `make test`.
# Needs only python3 (3.11+) and access to PyPI; everything else is installed into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Fails with a clear message unless $(1) is Python 3.11 or newer.
define require_python
	@$(1) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Python 3.11 or newer is needed, but '$(1)' is" \
	    "$$($(1) -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo 'not found')." >&2; \
	  echo "       Install it, or name one: make PYTHON=python3.12 ..." >&2; \
	  exit 1; }
endef

.PHONY: venv run smoke test lint bench clean

venv: $(STAMP)

$(BIN)/python:
	$(call require_python,$(PYTHON))
	$(PYTHON) -m venv $(VENV) || { \
	  echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; \
	  exit 1; }

# pip runs again only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(call require_python,$(BIN)/python)
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/python -m infra.devstack

# Start the whole stack, check every component is ready, stop again.
smoke: venv
	$(BIN)/python -m infra.devstack --check

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy workflows activities api infra worker.py bench

test: venv lint
	$(BIN)/pytest -q

bench: venv
	@if [ -f bench/__main__.py ]; then $(BIN)/python -m bench; \
	else echo "no benchmarks yet (bench/__main__.py is missing)"; fi

clean:
	rm -rf .stack
