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

.PHONY: venv run smoke test lint bench soak soak-quick bch-check clean

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

# Two test processes, each with its own PostgreSQL and Temporal test servers; a test file stays in
# one process (the contract test, the longest, runs beside the rest). PYTEST_WORKERS=0: one.
PYTEST_WORKERS ?= 2
test: venv lint
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

# The reliability soak (tests/soak/, docs/reliability.md): the whole stack on free ports in a
# temporary folder, components killed while cases run; about 15 minutes (soak-quick: 12).
# Extra options: make soak SOAK_ARGS='--cases 500 --report soak.md' (python -m tests.soak --help).
soak: venv
	$(BIN)/python -m tests.soak $(SOAK_ARGS)

soak-quick: venv
	$(BIN)/python -m tests.soak --quick $(SOAK_ARGS)

# Our records against the real BCH's development realm, before going live (README, "Before going
# live"): drafts saved, validated, read back and deleted; never a publication request. Needs real
# bch-dev credentials in the environment (BIOSAFETY_BCH_*); without them it says what to set.
bch-check: venv
	$(BIN)/python -m infra.bch_check

# Speed on the dev server side by side with bare Temporal (bench/suite.py, docs/performance.md):
# a few minutes on two cores; make bench BENCH_ARGS=--full for 10,000 open cases. The statutory
# clock and the time-skipping figures alone: python -m bench; history per case: python -m bench.history.
bench: venv
	$(BIN)/python -m bench.suite $(BENCH_ARGS)

clean:
	rm -rf .stack
