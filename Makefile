# The course kit's commands. Each target does its own set-up first (a local .venv).
#   make course     set-up, data, release, then autograde a demo class and print a summary
#   make test       set-up, data, then the test suite
#   make lab        open JupyterLab at the course root (release/ for students, Formgrader for instructors)
#   make release    rebuild release/ from source/ (nbgrader generate_assignment)
#   make solutions  rebuild solutions/ (executed instructor notebooks + HTML)
#   make bench      the benchmarks (throughput, quality, notebook wall time, autograde cost)

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FORMGRADE_MATHJAX := $(VENV)/share/jupyter/nbconvert/templates/formgrade/mathjax.html.j2
ASSIGNMENTS := mnist_autoencoders cardiac_vae
# nbgrader calls `alembic` and `jupyter` as programs: the environment's bin/ must come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: setup data release solutions course test lab bench clean system-packages

setup: $(STAMP) $(FORMGRADE_MATHJAX)

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

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
	$(PY) data_prep/prefetch_mnist.py
	$(PY) data_prep/prepare_cardiac.py

release: setup
	@for assignment in $(ASSIGNMENTS); do \
		nbgrader generate_assignment $$assignment --force --log-level=WARN || exit 1; \
	done
	@echo "release/ rebuilt from source/ for: $(ASSIGNMENTS)"

solutions: data
	$(PY) scripts/build_solutions.py $(ASSIGNMENTS)

course: data release
	$(PY) scripts/demo_class.py $(ASSIGNMENTS)

test: data system-packages
	$(PY) -m pytest

lab: data release
	mkdir -p exchange  # the formgrader wants nbgrader's exchange folder
	jupyter lab

bench: data
	$(PY) bench/bench_mnist.py
	$(PY) bench/bench_cardiac.py
	$(PY) bench/bench_cardiac_data.py
	$(PY) bench/bench_autograde.py

clean:
	rm -rf $(VENV) build
