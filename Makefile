# Shared Care Planner — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
INSTALLER_STAMP := $(VENV)/.installer-stamp
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test test-slow bench lint typecheck clean installer installer-check hazard-report \
	hazard-log

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,server]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m desktop_app $(ARGS)

# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
test: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected - failing"; exit 1; fi; \
	exit $$rc

test-slow: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q --slow $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-slow: no tests were collected - failing"; exit 1; fi; \
	exit $$rc

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/vault.py
	$(PY) benchmarks/caseload.py
	$(PY) benchmarks/ui.py
	$(PY) benchmarks/pdf.py
	$(PY) benchmarks/reports.py
	$(PY) benchmarks/sync.py
	$(PY) benchmarks/store_load.py
	$(PY) benchmarks/fhir.py

# The clinical risk management file (docs/clinical-safety/): each hazard with its residual
# risk and how many tests verify its controls; hazard-log regenerates hazard-log.md.
hazard-report: $(STAMP)
	@$(PY) tools/hazard_log.py report

hazard-log: $(STAMP)
	@$(PY) tools/hazard_log.py write

lint: $(STAMP)
	$(PY) -m ruff check desktop_app sync_server scp_common tests benchmarks tools

typecheck: $(STAMP)
	$(PY) -m mypy

# The installable app (installer/README.md): PyInstaller goes into the same venv.
$(INSTALLER_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[installer]'
	@touch $(INSTALLER_STAMP)

installer: $(INSTALLER_STAMP)
	$(PY) installer/build.py

# Builds the Linux bundle and tarball, then runs the bundle's --version and --self-test
# (Qt offscreen) and tries install.sh in a throwaway home folder (CI runs this).
installer-check: $(INSTALLER_STAMP)
	$(PY) installer/build.py --check

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache
