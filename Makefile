# The two commands of the README: `make run` and `make test`.
# Everything installs into $(VENV); nothing outside it is changed except, where Python's venv
# module is missing on Debian/Ubuntu and we run as root, the python3-venv package.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
FLASK := $(BIN)/flask --app roadshow
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-latest install install-test check-lock lock system-packages translations messages lint typecheck pytest bench screenshots clean

# Development defaults for a local trial; anything set in the environment wins.
RUN_ENV = ROADSHOW_ENV=$${ROADSHOW_ENV:-development} \
	ROADSHOW_BASE_URL=$${ROADSHOW_BASE_URL:-http://$(HOST):$(PORT)}

run: install translations
	$(RUN_ENV) $(FLASK) db upgrade
	$(RUN_ENV) $(FLASK) demo seed
	@echo "Mail is written to $$($(RUN_ENV) $(BIN)/python -c 'from roadshow import create_app; print(create_app().instance_path)')/mail/ (open the .eml files in a mail client)."
	$(RUN_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

test: install-test check-lock translations lint typecheck pytest

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Python's venv module is missing; installing python3-venv"; \
	    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	    $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "Python's venv module is missing: run 'sudo apt-get install python3-venv' and try again" >&2; exit 1; \
	  fi; }

# What is installed is the lock, hash-checked: requirements/run.txt for `make run`,
# requirements/test.txt (the same versions plus the test tools) for `make test`. The package
# itself is installed on top without resolving anything (--no-deps), built by the locked
# setuptools (--no-build-isolation), so that nothing unpinned comes in.
# `make test-latest` sets LOCKED=no: the newest releases setup.cfg's ranges allow.
LOCKED ?= yes
RUN_LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt

ifeq ($(LOCKED),yes)
$(VENV)/.installed-run: $(BIN)/python $(RUN_LOCK) setup.cfg setup.py pyproject.toml
	$(PIP) install --quiet --require-hashes -r $(RUN_LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run $(TEST_LOCK)
	$(PIP) install --quiet --require-hashes -r $(TEST_LOCK)
	touch $@
else
$(VENV)/.installed-run: $(BIN)/python
	$(PIP) install --quiet --upgrade pip setuptools wheel Babel
	$(PIP) install --quiet --upgrade --upgrade-strategy eager --no-build-isolation -e '.[production]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(PIP) install --quiet --upgrade --upgrade-strategy eager --no-build-isolation -e '.[production,test]'
	touch $@
endif

install: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test system-packages

# The environment holds exactly what the lock says (a leftover from an older lock would let
# tests pass here that fail on a fresh machine).
check-lock: install-test
	$(BIN)/python requirements/verify.py $(TEST_LOCK)

# Regenerate the lock from setup.cfg's ranges (after changing a dependency there). Pins that
# still satisfy the ranges are kept; `make lock LOCK_ARGS=--upgrade` takes the newest
# releases, `LOCK_ARGS="--upgrade-package flask"` one of them.
UV_VERSION := 0.13.9
LOCK_VENV := .venv-lock
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile setup.cfg requirements/build.in --quiet \
	--universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)

$(LOCK_VENV)/bin/uv:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)

lock: $(LOCK_VENV)/bin/uv
	$(UV_COMPILE) --extra production -o $(RUN_LOCK)
	$(UV_COMPILE) --extra production --extra test -c $(RUN_LOCK) -o $(TEST_LOCK)
	@echo "Lock written: $(RUN_LOCK), $(TEST_LOCK). Run 'make test', then commit them with setup.cfg."

# The suite on the newest releases that setup.cfg allows, in a separate environment: drift
# shows up here before a newcomer's first `make test` meets it.
test-latest:
	rm -f .venv-latest/.installed-run .venv-latest/.installed-test
	$(MAKE) VENV=.venv-latest LOCKED=no install-test translations
	.venv-latest/bin/python requirements/verify.py $(TEST_LOCK) --report
	$(MAKE) VENV=.venv-latest LOCKED=no lint typecheck pytest

# Tests use a few Debian packages: Chromium for the browser tests (Playwright cannot download
# its own browser here), khal to import our feeds, libical (through python3-gi) to validate
# our calendar data. As root they are installed with apt-get; otherwise the tests that need
# them are skipped with a message saying which package is missing. nginx checks and serves
# deploy/nginx/roadshow.conf in front of gunicorn.
SYSTEM_PACKAGES := chromium khal gir1.2-ical-3.0 python3-gi nginx

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages for the tests:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Not installed (tests that need them are skipped): $$missing"; \
	  fi; \
	fi

translations: install
	@for dir in $$(find roadshow -type d -name translations); do \
	  $(BIN)/pybabel -q compile -d $$dir || exit 1; \
	done

# Refresh the English catalogues after changing German texts: one catalogue per domain
# (roadshow/<domain>/translations) plus the shared one (roadshow/translations).
messages: install
	@for dir in $$(find roadshow -type d -name translations); do \
	  pkg=$$(dirname $$dir); name=$$(basename $$pkg); \
	  if [ "$$pkg" = roadshow ]; then sources="roadshow/*.py templates/*.html"; \
	  else sources="$$pkg $$(ls -d templates/$$name emails/$$name 2>/dev/null)"; fi; \
	  $(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location -w 100 -o $$dir/messages.pot $$sources || exit 1; \
	  if [ -f $$dir/en/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -w 100 -i $$dir/messages.pot -d $$dir -l en; \
	  else $(BIN)/pybabel -q init -w 100 -i $$dir/messages.pot -d $$dir -l en; fi; \
	done

# The benchmarks (bench/README.md): pages, feed, API, back office and registrations per second
# beside a bare Flask app under the same gunicorn, on SQLite and on PostgreSQL (when one answers
# on 127.0.0.1:5432), then the feed build for 10,000 events and the mail worker against plain
# smtplib; the report goes to docs/benchmarks.md. Needs Debian's wrk.
BENCH_ARGS ?=

bench: install translations
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing wrk (the load generator)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: run 'sudo apt-get install wrk' and try again" >&2; exit 1; fi; }
	PYTHONPATH=. $(BIN)/python bench/pages.py --output docs/benchmarks.md $(BENCH_ARGS)
	@{ echo; echo "## Feed build (bench/feeds.py --only build)"; echo; echo '```'; \
	  PYTHONPATH=. $(BIN)/python bench/feeds.py --only build; echo '```'; } | tee -a docs/benchmarks.md
	@{ echo; echo "## Mail worker against plain smtplib (bench/mail_throughput.py)"; echo; \
	  echo '```'; PYTHONPATH=. $(BIN)/python bench/mail_throughput.py; echo '```'; } \
	  | tee -a docs/benchmarks.md

# Screenshots of every page (German and English, 1280 and 390 px, light and dark where the
# tests take them) and of every journey's steps, from the browser tests, into screenshots/.
SCREENSHOTS ?= screenshots

screenshots: install-test translations
	rm -rf $(SCREENSHOTS)
	ROADSHOW_SCREENSHOTS=$(abspath $(SCREENSHOTS)) $(BIN)/python -m pytest -q -m browser -p no:cacheprovider
	@echo "Screenshots: $$(find $(SCREENSHOTS) -name '*.png' | wc -l) files under $(SCREENSHOTS)/"

lint:
	$(BIN)/ruff check roadshow tests bench migrations requirements wsgi.py setup.py
	$(BIN)/ruff format --check roadshow tests bench requirements wsgi.py setup.py

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venv-latest $(LOCK_VENV) build *.egg-info
