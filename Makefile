# The two commands: `make dev` runs the whole local stack, `make test` runs the whole suite.
# Each creates the virtualenv and installs the front end's packages itself.

PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FRONTEND_STAMP := frontend/node_modules/.installed
PYTEST_ARGS ?=

.PHONY: dev test lint typecheck unit frontend-test frontend-build bench load clean install

$(STAMP): pyproject.toml
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

install: $(STAMP) $(FRONTEND_STAMP)

$(FRONTEND_STAMP): frontend/package.json
	cd frontend && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	touch $(FRONTEND_STAMP)

frontend-build: $(FRONTEND_STAMP)
	cd frontend && npm run build

dev: $(STAMP) frontend-build
	$(VENV)/bin/paygate dev

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

frontend-test: $(FRONTEND_STAMP)
	cd frontend && npm test

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
test: $(STAMP) lint typecheck frontend-test frontend-build
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(PY) -m benchmarks.run

load: $(STAMP)
	$(VENV)/bin/paygate load

clean:
	rm -rf .data frontend/dist test-artifacts
