# The README's commands: `make run`, `make test` and `make notebooks`. Both create .venv when missing and install the
# requirements only when they changed since the last install (so a rerun takes seconds).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
ADDRESS ?= localhost
# Extra streamlit options, e.g. STREAMLIT_ARGS="--server.sslCertFile cert.pem --server.sslKeyFile key.pem"
STREAMLIT_ARGS ?=
# JupyterLab for `make notebooks`; extra options e.g. JUPYTER_ARGS="--no-browser"
JUPYTER_PORT ?= 8888
JUPYTER_ARGS ?=
# Jupyter refuses to run as root unless told; containers and CI often are root.
JUPYTER_ROOT := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True)

SCALE_STAMP := $(VENV)/.installed-scale

.PHONY: setup setup-scale setup-a11y run test bench notebooks jupyter

$(STAMP): requirements.txt requirements-nodeps.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $(STAMP)

setup: $(STAMP)

# Ray for batch evaluation on a cluster (requirements-scale.txt): not part of the classroom install, but the
# tests cover it, so `make test` installs it too.
$(SCALE_STAMP): $(STAMP) requirements-scale.txt
	$(PY) -m pip install --quiet -r requirements-scale.txt
	@touch $(SCALE_STAMP)

setup-scale: $(SCALE_STAMP)

# axe-core (pinned in tests/a11y/package-lock.json) for the accessibility browser test. Installed with npm ci when
# missing; without npm that test fails and says how to install it, the rest of the suite still runs.
AXE := tests/a11y/node_modules/axe-core/axe.min.js
$(AXE): tests/a11y/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "warning: npm not found (apt-get install -y nodejs npm): tests/test_browser_pages.py's axe test will fail" >&2; \
	elif ! npm ci --prefix tests/a11y --prefer-offline --no-audit --no-fund --loglevel=error; then \
	  echo "warning: npm ci --prefix tests/a11y failed: tests/test_browser_pages.py's axe test will fail" >&2; \
	else touch $(AXE); fi

setup-a11y: $(AXE)

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) $(STREAMLIT_ARGS)

test: setup setup-scale setup-a11y
	$(PY) -m pytest -q

bench: setup setup-scale
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Registers the venv's own kernel inside the venv (--sys-prefix) on every start: it records this venv's python
# path, so a moved or rebuilt venv gets a working kernel again. Then starts JupyterLab.
notebooks: setup
	$(PY) -m ipykernel install --sys-prefix --name deepfake-lab --display-name "Python (Deepfake Lab)"
	@$(MAKE) --no-print-directory jupyter

# JupyterLab alone (the venv must already be set up): serves the lab's folder on $(ADDRESS) only, opened on
# notebooks/ (the folder above stays reachable, so the notebooks' links to lessons/ work). Jupyter's default
# token protects it; the browser it opens is already logged in, and with --no-browser the console prints the URL.
jupyter:
	$(PY) -m jupyterlab --ServerApp.ip=$(ADDRESS) --ServerApp.port=$(JUPYTER_PORT) \
		--ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(JUPYTER_ROOT) $(JUPYTER_ARGS)
