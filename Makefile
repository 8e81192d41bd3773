# Two commands: `make run` (install, migrate, demo city, web server + worker) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ANXIN := $(VENV)/bin/anxin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint check messages clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	@mkdir -p data
	$(ANXIN) migrate --no-input -v0
	$(ANXIN) demo --if-empty
	@$(ANXIN) logins
	@echo "Anxin is at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(ANXIN) worker & \
	  $(ANXIN) runserver --noreload $(HOST):$(PORT)

# On SQLite the test database is a file, so the worker-kill test's child process shares it.
test: install
	@mkdir -p data
	ANXIN_TEST_SQLITE=$${ANXIN_TEST_SQLITE:-$(CURDIR)/data/test.sqlite3} $(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check anxin tests bench
	$(VENV)/bin/ruff format --check anxin tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: install
	$(PY) manage.py makemigrations --check --dry-run
	ANXIN_PRODUCTION=1 ANXIN_SECRET_KEY=$$(openssl rand -hex 32) ANXIN_ALLOWED_HOSTS=anxin.example.cn $(PY) manage.py check --deploy --fail-level WARNING

messages: install
	cd anxin && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --ignore 'node_modules/*' && ../$(PY) ../manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) node_modules staticfiles
