# The README's two commands: `make run` and `make test`. Both create .venv when missing and install the
# requirements only when they changed since the last install (so a rerun takes seconds).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
ADDRESS ?= localhost
# Extra streamlit options, e.g. STREAMLIT_ARGS="--server.sslCertFile cert.pem --server.sslKeyFile key.pem"
STREAMLIT_ARGS ?=

SCALE_STAMP := $(VENV)/.installed-scale

.PHONY: setup setup-scale run test bench

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

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) $(STREAMLIT_ARGS)

test: setup setup-scale
	$(PY) -m pytest -q

bench: setup setup-scale
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
