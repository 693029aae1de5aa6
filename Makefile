# Everything a fresh machine needs: `make demo` and `make test` install first when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
UV_VERSION := 0.13.8
STAMP  := $(VENV)/.installed
PYTEST_FAST := -m "not slow and not reliability"

.PHONY: bytecode install demo test test-all test-slow reliability lint lock pg browser server deploy worker clean bench

install: $(STAMP)

# The lock pins every package with hashes; the project itself goes in editable, without deps.
# Compiled to bytecode here, once: uv does not by default, and where PYTHONDONTWRITEBYTECODE is set
# (this machine) every process compiled Prefect from source again (Prefect's temporary server
# started in 13-15 s, 5-6 s with bytecode; each flow run of a worker ~1 s more).
$(STAMP): requirements.lock pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]}"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip install --quiet --python $(BIN)/python --compile-bytecode --require-hashes -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# The project's own modules as bytecode (a module edited since is compiled again when imported).
bytecode:
	$(BIN)/python -m compileall -q schemas tasks flows opsmetrics

demo: install
	$(BIN)/opsmetrics demo

# A throwaway PostgreSQL (Debian's packages) on 127.0.0.1 for the warehouse tests; URL in .pg/url.
pg:
	@scripts/pg-test-server start >/dev/null || { echo "make pg: the test PostgreSQL did not start (the line above says why)" >&2; exit 1; }

# Debian's chromium and chromedriver, for the Prefect UI test (nothing is downloaded by the tests).
browser:
	@scripts/install-browser || { echo "make browser: Chromium and ChromeDriver could not be installed (the line above says why)" >&2; exit 1; }

# pytest exits 5 when it collects no test: that is a failure of this target, said plainly.
test: install pg browser
	$(BIN)/python -m pytest -q $(PYTEST_FAST); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

# Tests that try to break the pipeline (tests/reliability): SIGKILL at every step, a terminated
# PostgreSQL backend, concurrent runs, thirty nightly runs, planted secrets, TLS. ~6-10 min here.
reliability: install pg
	$(BIN)/python -m pytest -q -m reliability tests/reliability; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make reliability: pytest collected no tests" >&2; fi; exit $$rc

test-slow: install pg
	$(BIN)/python -m pytest -q -m slow

test-all: install pg browser
	$(BIN)/python -m pytest -q -m "not reliability"

# Benchmarks (not part of `make test`): scales 1 and 10 generated once into .bench/, then the read
# floor, one date with and without Prefect split by stage, a 365-date backfill in-process and over
# two process workers, publish throughput against to_sql, fixed costs; writes BENCHMARKS.md (~30 min).
# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--scales 1 --skip-workers".
BENCH_ARGS ?=
bench: install pg bytecode
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# ruff, and import-linter's contracts (pyproject.toml): the layers, Prefect only in flows/, no cycle
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Production-like, on this machine: a Prefect server with a project-local PREFECT_HOME, the
# deployments of prefect.yaml, and process workers (start several for parallel backfills).
PREFECT_HOME ?= $(CURDIR)/.prefect
PREFECT_PORT ?= 4200
PREFECT_API_URL ?= http://127.0.0.1:$(PREFECT_PORT)/api
WORK_POOL := opsmetrics-process

server: install
	mkdir -p $(PREFECT_HOME)
	PREFECT_HOME=$(PREFECT_HOME) $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT)

# ... and the automation that marks a run CRASHED when its worker died (flows/automations.py)
deploy: install
	PREFECT_API_URL=$(PREFECT_API_URL) $(BIN)/prefect work-pool create $(WORK_POOL) --type process --overwrite
	PREFECT_API_URL=$(PREFECT_API_URL) $(BIN)/prefect --no-prompt deploy --all
	PREFECT_API_URL=$(PREFECT_API_URL) $(BIN)/python -m flows.automations

# flow runs beat every PREFECT_FLOWS_HEARTBEAT_FREQUENCY s (the environment's, else flows/automations.py's);
# .venv/bin first on PATH: the deployments start each flow run as `python -m prefect.engine` (prefect.yaml)
worker: install
	hb=$$($(BIN)/python -m flows.automations --heartbeat) && \
	PATH=$(abspath $(BIN)):$$PATH PREFECT_API_URL=$(PREFECT_API_URL) PREFECT_FLOWS_HEARTBEAT_FREQUENCY=$$hb $(BIN)/prefect worker start --pool $(WORK_POOL)

# Re-pin after changing pyproject.toml's dependencies (needs the registry).
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

clean:
	-scripts/pg-test-server stop
	rm -rf $(VENV) warehouse.db data/sample .pytest_cache .pg
