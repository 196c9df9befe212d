# COMP6248 labs. `make demo` and `make test` set everything up on a fresh Debian/Ubuntu machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests marked with an xdist_group (one notebook's kernel, one lab's graded course) run on one worker.
PYTEST := $(BIN)/python -m pytest -n 2 --dist loadgroup
# nbgrader runs alembic (and kernels run python3) from PATH: use the environment's own.
export PATH := $(BIN):$(PATH)
# Setup prints one line per step; the tools' own output goes to this log, whose end is shown if a step fails.
SETUP_LOG := $(CURDIR)/build/setup.log
QUIETLY   := $(CURDIR)/tools/quietly $(SETUP_LOG)

.PHONY: setup system-packages hub-setup hub demo test test-quick seeds seed-probe benchmark benchmark-cluster release check clean

setup: $(STAMP) hub-setup

# Debian packages: the data the course reads, bubblewrap (the grading and hub sandbox), Chromium with its
# driver for the course hub's browser tests, and the PostgreSQL server (a course's gradebook may live there; the
# tests start a throwaway cluster of their own). Installed when run as root; otherwise labs.data downloads the data,
# grading needs bwrap installed, and the browser and PostgreSQL tests are skipped.
DEBIAN_PACKAGES := dataset-fashion-mnist bubblewrap chromium chromium-driver postgresql
# R data packages (lab 7's texts and reviews): installing them would pull in R, so their files are
# unpacked (dpkg-deb -x) where labs.data looks for them, and read without R.
DEBIAN_UNPACKED_PACKAGES := r-cran-janeaustenr r-cran-modeldata
DEBIAN_UNPACKED_ROOT := /usr/local/share/comp6248/debian
system-packages:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		unpack=""; for p in $(DEBIAN_UNPACKED_PACKAGES); do [ -d $(DEBIAN_UNPACKED_ROOT)/$$p ] || unpack="$$unpack $$p"; done; \
		if [ -n "$$missing$$unpack" ]; then apt-get update -qq; fi; \
		if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
		for p in $$unpack; do \
			work=$$(mktemp -d) && chmod 755 $$work && (cd $$work && apt-get download -qq $$p 2>/dev/null) && \
			mkdir -p $(DEBIAN_UNPACKED_ROOT) && dpkg-deb -x $$work/$$p_*.deb $$work/unpacked && \
			mv $$work/unpacked $(DEBIAN_UNPACKED_ROOT)/$$p; rm -rf $$work; \
		done; \
	else \
		echo "not root: skipping apt-get install $(DEBIAN_PACKAGES) and unpacking $(DEBIAN_UNPACKED_PACKAGES) (labs.data downloads them)"; \
	fi

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@echo "setup (the tools' output: $(SETUP_LOG))"
	@$(QUIETLY) "  Debian packages (installed when run as root)" $(MAKE) --no-print-directory system-packages
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, not " + sys.version'
	@$(QUIETLY) "  the virtual environment $(VENV)" $(PYTHON) -m venv $(VENV)
	@$(QUIETLY) "  pip itself" $(BIN)/python -m pip install --progress-bar off --upgrade pip
	@# torch comes in the same pip command as everything that depends on it (the CPU wheel; see requirements.txt).
	@$(QUIETLY) "  the pinned Python packages (requirements.txt)" \
		$(BIN)/python -m pip install --progress-bar off -r requirements.txt -c constraints.txt
	@$(QUIETLY) "  the course's labs package" $(BIN)/python -m pip install --progress-bar off --no-deps -e .
	@touch $@

# The course hub's proxy: configurable-http-proxy from npm, at the version in hub/package-lock.json.
HUB_STAMP := hub/node_modules/.installed
hub-setup: $(HUB_STAMP)
$(HUB_STAMP): hub/package.json hub/package-lock.json
	@if command -v npm >/dev/null; then \
		$(QUIETLY) "  the hub's proxy (npm ci in hub/)" sh -c 'cd hub && npm ci --no-audit --no-fund --loglevel=error' \
		&& touch $@; \
	else \
		echo "npm not found: skipping configurable-http-proxy (the course hub and its browser tests need Node.js and npm)"; \
	fi

# The course hub on http://127.0.0.1:8000 (needs root): accounts, exchange, lab01 released; see the README.
HUB_ARGS ?= lab01
hub: setup
	$(BIN)/python -m labs hub serve $(HUB_ARGS)

demo: setup
	$(BIN)/python -m labs demo

test: setup
	$(PYTEST)

test-quick: setup
	$(PYTEST) -m "not slow"

# The explicit multi-seed sweep: make seeds N=20
N ?= 20
seeds: setup
	LABS_SEED_SWEEP=$(N) $(PYTEST) tests/test_notebooks.py -k solution_at_another_seed

# Every quick test cell run again at K other seeds, within one run of each model solution: make seed-probe K=30
K ?= 30
seed-probe: setup
	$(BIN)/python -m labs.qa.seed_probe --seeds $(K) --jobs 2

# Grading throughput: plain nbgrader against the sandboxed, parallel pipeline.
benchmark: setup
	$(BIN)/python -m labs.qa.benchmark --lab lab01 --notebooks 1_tensors.ipynb --students 20

# Grading on a Dask cluster: --jobs 2 against a scheduler and 2 local workers, and the cost model.
benchmark-cluster: setup
	$(BIN)/python -m labs.qa.benchmark_cluster --lab tiny --students 40 --workers 2

release: setup
	$(BIN)/python -m labs release

check: setup
	$(BIN)/python -m labs check
	$(BIN)/python -m labs release --check

clean:
	rm -rf $(VENV) build .grading submitted autograded feedback gradebook.db grades.csv *.egg-info
