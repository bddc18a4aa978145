# The course kit's commands. Each target does its own set-up first (a local .venv).
#   make course     set-up, data, release, then autograde a demo class and print a summary
#   make test       set-up, data, then the test suite
#   make test-quick the suite without grading, wheel installs, exchange, PostgreSQL, browsers and
#                   whole-notebook runs (about 2 minutes)
#   make lint       ruff, and no outputs in source/ notebooks (also a pre-commit hook set)
#   make lab        a student's JupyterLab: a workspace (student-workspace/) holding the hand-out only
#   make lab-instructor  JupyterLab at the course root: source/, Formgrader
#   make handout    build/handout/<assignment>/ (+ .zip): what a student receives
#   make release    rebuild release/ from source/ (nbgrader generate_assignment)
#   make solutions  rebuild solutions/ (executed instructor notebooks + HTML)
#   make grade      autograde everything in submitted/ in parallel (sandboxed), feedback, grades.csv,
#                   grades for Canvas and Moodle (grades-canvas.csv, grades-moodle.csv), class reports
#   make report     the class reports again (reports/<assignment>.html), from the gradebook
#   make hub        a course server on this machine (as root): JupyterHub, accounts from ROSTER=roster.csv;
#                   make hub-status, make hub-down (ARGS=--remove-accounts also removes the accounts)
#   make bench      the benchmarks (throughput, quality, notebook wall time, autograde cost, mutation kill rate)

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FORMGRADE_MATHJAX := $(VENV)/share/jupyter/nbconvert/templates/formgrade/mathjax.html.j2
ASSIGNMENTS := mnist_autoencoders cardiac_vae
# nbgrader calls `alembic` and `jupyter` as programs: the environment's bin/ must come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 3
# The data rule's course folder (aecourse/paths.py): this checkout's data/, whatever the install.
export AECOURSE_COURSE_ROOT := $(CURDIR)
WORKSPACE := student-workspace

.PHONY: setup sandbox data release solutions course grade report test test-quick lint lab lab-instructor handout bench clean system-packages hub hub-status hub-down

setup: sandbox $(STAMP) $(FORMGRADE_MATHJAX)

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Autograding runs student code in a bubblewrap sandbox (Debian package `bubblewrap`).
sandbox:
	@command -v bwrap >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing bubblewrap (the grading sandbox)"; \
			(apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null)); \
		else \
			echo "The grading sandbox needs bubblewrap: sudo apt-get install bubblewrap"; exit 1; \
		fi; }

# The formgrader typesets math with the MathJax that the Jupyter server serves
# (jupyter_server_mathjax), not a CDN: see the template's comment.
$(FORMGRADE_MATHJAX): aecourse/templates/formgrade/mathjax.html.j2 $(STAMP)
	install -D -m 644 $< $@

# Debian packages that some tests use: a PostgreSQL server (the gradebook in PostgreSQL) and
# Chromium (the formgrader in a real browser). Installed when running as root with apt-get and
# missing; otherwise (or if the install fails) those tests skip and say why.
system-packages:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=""; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
		command -v chromium >/dev/null || missing="$$missing chromium"; \
		if [ -n "$$missing" ]; then \
			echo "apt-get install$$missing (for the PostgreSQL and browser tests)"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
				|| echo "could not install$$missing: the tests that need it will skip"; \
		fi; \
	fi

data: setup
	aecourse-prefetch-mnist
	aecourse-prepare-cardiac

release: setup
	@for assignment in $(ASSIGNMENTS); do \
		nbgrader generate_assignment $$assignment --force --log-level=WARN || exit 1; \
	done
	@echo "release/ rebuilt from source/ for: $(ASSIGNMENTS)"

solutions: data
	aecourse-build-solutions $(ASSIGNMENTS)

course: data release
	aecourse-demo-class $(ASSIGNMENTS)

grade: setup
	aecourse-grade $(ARGS)

report: setup
	aecourse-report $(ARGS)

test: data system-packages
	$(PY) -m pytest

# The pytest markers of pyproject.toml: what needs nbgrader autograde, a fresh venv, root or a browser.
QUICK_MARKERS := not hub and not grading and not slow_install and not exchange and not postgres and not browser and not notebook
test-quick: data
	$(PY) -m pytest -m "$(QUICK_MARKERS)" $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(PY) scripts/check_source_outputs.py

handout: release
	aecourse-handout $(ASSIGNMENTS)

# Students: the release notebooks only (work already there is kept), no source/ and no formgrader.
lab: data release
	aecourse-handout --workspace $(WORKSPACE) $(ASSIGNMENTS)
	jupyter lab --ServerApp.root_dir=$(WORKSPACE) \
		--ServerApp.jpserver_extensions="{'nbgrader.server_extensions.formgrader': False}"

lab-instructor: data release
	mkdir -p exchange  # the formgrader wants nbgrader's exchange folder
	jupyter lab

# The course server (aecourse/hub/): JupyterHub, PAM login on Unix accounts made from the roster,
# one JupyterLab per user. Again: changes nothing. See README, "On a shared server".
ROSTER := roster.csv
hub: data
	aecourse-hub up --roster $(ROSTER) $(ARGS)

hub-status:
	aecourse-hub status

hub-down:
	aecourse-hub down $(ARGS)

bench: data
	$(PY) -m bench.bench_mnist
	$(PY) -m bench.bench_cardiac
	$(PY) -m bench.bench_cardiac_data
	$(PY) -m bench.bench_autograde
	PYTHONPATH=tests $(PY) -m bench.bench_class
	$(PY) -m bench.bench_mutations --seeds 50
	$(PY) -m bench.bench_mutations

clean:
	rm -rf $(VENV) build
