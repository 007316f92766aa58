# The README's two commands: `make run` (set up everything on the embedded default and serve) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# Keep compiled modules and pytest's rewritten test modules between runs even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): collecting the suite takes 6-7 s instead of 14-17 s, in every test worker.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast install lint typecheck check messages bench loadtest

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

locale/zh_Hans/LC_MESSAGES/django.mo: locale/zh_Hans/LC_MESSAGES/django.po $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

install: $(VENV)/.installed node_modules/.installed locale/zh_Hans/LC_MESSAGES/django.mo

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_divisions districts/data/tianjin-divisions.csv
	$(PY) manage.py seed_demo
	$(PY) manage.py rollup
	@echo "Serving the portal at http://$(HOST)/ (stop with Ctrl-C; another port: make run HOST=127.0.0.1:8100)"
	$(PY) manage.py runserver $(HOST)

test: install
	$(VENV)/bin/pytest

# A developer's loop: everything but the browser, fault, schemathesis and seed_demo tests, on both cores, keeping
# the test databases between runs (new migrations are still applied).
test-fast: install
	$(VENV)/bin/pytest -n 2 --reuse-db -m "not e2e and not faults" \
		--ignore=tests/test_api_schemathesis.py --ignore=tests/reporting/test_seed_demo.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint

# mypy with django-stubs over the apps, at the strictness stated in pyproject.toml.
typecheck: install
	$(VENV)/bin/mypy

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# Benchmarks on PostgreSQL (a throwaway database next to BENCH_DATABASE_URL); figures go to bench/results.json.
bench: install
	$(PY) bench/run.py

# Deadline day under load on gunicorn + a Celery worker (its own database and Redis db); see docs/load.md.
loadtest: install
	loadtest/run.sh

# Re-extract the catalogue after changing translatable strings, then fill in the Chinese.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete
