# The README's commands. `make run` and `make test` share `make setup`, which
# installs only what changed since the last run.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
STAMP  := $(VENV)/.setup-stamp
NPM_STAMP := node_modules/.setup-stamp
PLUGIN_PROJECTS := $(wildcard plugins/*/pyproject.toml)

.PHONY: setup run test bench lint clean translations

setup: $(STAMP) $(NPM_STAMP)

# Build back ends' notices (setuptools' editable-install boxes) only with V=1.
PIP_ENV := $(if $(V),,PYTHONWARNINGS=ignore)

$(STAMP): requirements.txt pyproject.toml $(PLUGIN_PROJECTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_ENV) $(PY) -m pip install --quiet --upgrade pip
	$(PIP_ENV) $(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# `make run V=1` shows migrations, the access log and every job.
run: setup
	LMS_VERBOSE=$(V) $(PY) -m lms.launcher

# The suite runs in parallel, one pytest-xdist worker per core; each worker has
# its own database and Redis database (lms/testing/workers.py). TEST_WORKERS=1
# (or PYTEST_ARGS="-n 0", which runs in this one process) changes that.
TEST_WORKERS ?= auto

test: setup
	$(PY) scripts/check_system.py
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# `make bench BENCHES=bench/live.py` runs one of them.
BENCHES ?= bench/catalog.py bench/mixed.py bench/catalog_scale.py bench/transcode.py \
	bench/live.py bench/live_attendance.py

bench: setup
	$(PY) scripts/check_system.py wrk ffprobe
	set -e; for b in $(BENCHES); do $(PY) $$b; done

# After marking strings: bring every catalogue (the core's and each plugin's) in
# step with the code; then translate the new empty entries and run
# `flask --app wsgi lms translations check`.
translations: setup
	LMS_ENV=development $(VENV)/bin/flask --app wsgi lms translations update

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules
