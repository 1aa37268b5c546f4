# Two commands set everything up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
UV := .tools/bin/uv
UV_VERSION := 0.13.8
PG_URL ?= postgres://postgres@127.0.0.1:5432/jike
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: bootstrap gateway-native demo serve test lint typecheck check-migrations pytest pytest-gateway-pure e2e bench bench-import bench-web bench-gateway bench-sales browser pg-check clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install -q uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock .tools/bin/uv
	$(UV) sync --frozen
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

bootstrap: .venv/.synced node_modules/.installed
	$(PY) -m jike.manage compile-translations
	$(PY) -m jike.gateway.build_native

# The gateway's hot modules compiled with mypyc into build/gateway-native/ (a no-op when current;
# used only while it matches the sources: jike/gateway/native.py).
gateway-native: .venv/.synced
	$(PY) -m jike.gateway.build_native

# The demo: SQLite under var/ unless JIKE_DATABASE_URL says otherwise.
demo: bootstrap
	$(PY) -m jike.manage migrate --noinput
	$(PY) -m jike.manage demo-data --scale small --if-empty
	$(PY) -m jike.manage collectstatic --noinput -v0
	@echo ""
	@echo "Jike demo: http://127.0.0.1:8000   API docs: http://127.0.0.1:8000/api/docs/"
	@echo "Demo logins (password jike-demo): admin, province, cm-hefei-1, cm-wuhu-1, ... (one cm-<city>-1 per city)"
	@echo ""
	.venv/bin/gunicorn jike.wsgi:application --bind 127.0.0.1:8000 --workers 1 --threads 8 --timeout 300

# PostgreSQL is required for tests: fail loudly rather than fall back to SQLite.
pg-check:
	@pg_isready -q -h 127.0.0.1 -p 5432 || (echo "ERROR: PostgreSQL is not answering on 127.0.0.1:5432; start it (pg_ctlcluster ... start) and retry" >&2; exit 1)

# Debian's Chromium and CJK fonts for the browser tests (Playwright never downloads a browser).
browser:
	@command -v chromium >/dev/null && fc-list | grep -qi "Noto Sans CJK" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: bootstrap
	.venv/bin/mypy jike

check-migrations: bootstrap pg-check
	JIKE_DATABASE_URL=$(PG_URL) $(PY) -m jike.manage makemigrations --check --dry-run

pytest: bootstrap pg-check browser
	JIKE_DATABASE_URL=$(PG_URL) .venv/bin/pytest -n 2 --dist loadfile -m "not transactional"
	JIKE_DATABASE_URL=$(PG_URL) .venv/bin/pytest -n 2 --dist loadfile -m transactional

# The gateway tests once more on plain Python (the run above uses the compiled modules).
pytest-gateway-pure: bootstrap pg-check
	JIKE_GATEWAY_NATIVE=0 JIKE_DATABASE_URL=$(PG_URL) .venv/bin/pytest -n 2 --dist loadfile jike/gateway

test: lint typecheck check-migrations pytest pytest-gateway-pure

bench: bench-import bench-web bench-sales

bench-import: bootstrap pg-check
	JIKE_DATABASE_URL=$(PG_URL)_import_bench $(PY) -m bench.import_members  # empties its tables: never the demo database

bench-web: bootstrap pg-check
	JIKE_DATABASE_URL=$(PG_URL)_bench $(PY) -m bench.web_latency

bench-gateway: bootstrap pg-check
	$(PY) -m bench.gateway.run

clean:
	rm -rf .venv .tools node_modules var build

bench-sales: bootstrap pg-check
	JIKE_DATABASE_URL=$(PG_URL)_bench $(PY) -m bench.sales_board
