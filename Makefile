# Pacte — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
VENDOR := pacte/static/vendor
PG_URL ?= postgres://postgres@127.0.0.1:5432/pacte
PYTEST_WORKERS ?= 2

.PHONY: demo test install install-dev assets lint format typecheck migrations-check test-sqlite test-postgres lock clean

## Serve the demo on http://127.0.0.1:8000 (embedded SQLite, demo data loaded once).
demo: install assets
	$(VENV)/bin/pacte demo

## Everything: lint, types, migrations, the whole suite on SQLite, then on PostgreSQL when reachable.
test: install-dev assets lint typecheck migrations-check test-sqlite test-postgres

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml requirements.lock | $(PY)
	$(PIP) install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements.lock | $(PY)
	$(PIP) install --quiet -c requirements.lock -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Front-end assets from npm (lock file), copied into static files: never a CDN.
assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/pico $(VENDOR)/htmx
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/pico/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install-dev
	$(VENV)/bin/mypy

migrations-check: install-dev
	PACTE_VAR_DIR=$$(mktemp -d) $(PY) manage.py makemigrations --check --dry-run

test-sqlite: install-dev assets
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

test-postgres: install-dev assets
	@if $(PY) scripts/pg_available.py "$(PG_URL)"; then \
		echo "== PostgreSQL: $(PG_URL)"; \
		DATABASE_URL="$(PG_URL)" $(VENV)/bin/pytest -n $(PYTEST_WORKERS); \
	elif [ "$${PACTE_TEST_POSTGRES:-0}" = "1" ]; then \
		echo "PACTE_TEST_POSTGRES=1 but PostgreSQL is not reachable at $(PG_URL)"; exit 1; \
	else \
		echo "== PostgreSQL not reachable at $(PG_URL): skipped (set PACTE_TEST_POSTGRES=1 to require it)"; \
	fi

## Rewrite requirements.lock from the current environment (after changing pyproject.toml).
lock: install-dev
	$(PIP) freeze --exclude-editable | grep -v '^pacte' > requirements.lock

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var .pytest_cache .mypy_cache .ruff_cache
