# The two commands: `make dev` runs the whole local stack, `make test` runs the whole suite.
# Each creates the virtualenv (uv, from the committed uv.lock) and installs the front end's
# packages itself; `make test` also installs Debian's Chromium for the browser tests and Debian's
# wrk for the test of the side-by-side benchmark's script (as root).
#
# Regenerating committed files:
#   make lock          re-resolve uv.lock after editing pyproject.toml, then `make requirements`
#   make requirements  infra/requirements.txt (the Lambda pins, with hashes) from uv.lock
#   make types         frontend/src/api/schema.d.ts from the backend's OpenAPI document

UV := $(shell devstack/tools.sh uv)
export UV_PYTHON := $(shell devstack/tools.sh python)
export UV_PROJECT_ENVIRONMENT := .venv
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FRONTEND_STAMP := frontend/node_modules/.installed
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
PYTEST_ARGS ?=

.PHONY: dev test lint typecheck unit frontend-test frontend-build frontend-lint chromium wrk bench \
	bench-wrk load clean install lock requirements types

$(STAMP): pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --compile-bytecode
	touch $(STAMP)

install: $(STAMP) $(FRONTEND_STAMP)

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $(FRONTEND_STAMP)

lock:
	$(UV) lock
	$(MAKE) requirements

requirements: $(STAMP)
	UV=$(UV) $(PY) infra/package.py requirements

types: $(STAMP) $(FRONTEND_STAMP)
	cd frontend && npm run gen:types

frontend-build: $(FRONTEND_STAMP)
	cd frontend && npm run build

dev: $(STAMP) frontend-build
	$(VENV)/bin/paygate dev

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The unit tier alone: use cases against in-memory fakes of their ports (seconds).
unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

frontend-lint: $(FRONTEND_STAMP)
	cd frontend && npm run lint

frontend-test: $(FRONTEND_STAMP)
	cd frontend && npm test

# $(call debian_package,<binary>,<package>,<who needs it>): Debian's <package> installed when
# <binary> is missing and we are root; otherwise one line saying what to install, and a failure
# before anything else runs.
define debian_package
	@if [ ! -x $(1) ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then \
	    echo "$(1) is missing: installing Debian's $(2) package"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y $(2); \
	  else \
	    echo "$(3) needs $(1): run 'sudo apt-get install -y $(2)' (or make as root)" >&2; \
	    exit 1; \
	  fi; \
	fi
endef

# The browser tests drive Debian's Chromium.
chromium:
	$(call debian_package,$(CHROMIUM),chromium,make test)

# The side-by-side benchmark (and its script's test) drive Debian's wrk.
wrk:
	$(call debian_package,$(WRK),wrk,make test (and make bench-wrk))

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
test: chromium wrk $(STAMP) lint typecheck frontend-lint frontend-test frontend-build
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(PY) -m benchmarks.run

# Issue 15's side-by-side method: wrk, 50 connections, 10 s warm-up then 60 s, fresh stack.
bench-wrk: wrk $(STAMP)
	$(PY) -m benchmarks.side_by_side

load: $(STAMP)
	$(VENV)/bin/paygate load

clean:
	rm -rf .data frontend/dist test-artifacts
