# The README's commands. `make run` and `make test` share `make setup`, which
# installs only what changed since the last run.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
STAMP  := $(VENV)/.setup-stamp
NPM_STAMP := node_modules/.setup-stamp
PLUGIN_PROJECTS := $(wildcard plugins/*/pyproject.toml)

.PHONY: setup run test bench lint clean

setup: $(STAMP) $(NPM_STAMP)

$(STAMP): requirements.txt pyproject.toml $(PLUGIN_PROJECTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(PY) -m lms.launcher

test: setup
	$(PY) scripts/check_system.py
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/catalog.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules
