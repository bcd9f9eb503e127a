# The two commands of the README: `make run` and `make test`.
# Everything installs into $(VENV); nothing outside it is changed except, where Python's venv
# module is missing on Debian/Ubuntu and we run as root, the python3-venv package.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app roadshow
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test system-packages translations messages lint typecheck pytest clean

# Development defaults for a local trial; anything set in the environment wins.
RUN_ENV = ROADSHOW_ENV=$${ROADSHOW_ENV:-development} \
	ROADSHOW_BASE_URL=$${ROADSHOW_BASE_URL:-http://$(HOST):$(PORT)}

run: install translations
	$(RUN_ENV) $(FLASK) db upgrade
	$(RUN_ENV) $(FLASK) demo seed
	@echo "Mail is written to $$($(RUN_ENV) $(BIN)/python -c 'from roadshow import create_app; print(create_app().instance_path)')/mail/ (open the .eml files in a mail client)."
	$(RUN_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

test: install-test translations lint typecheck pytest

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
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(VENV)/.installed-run: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[production]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/python -m pip install --quiet -e '.[production,test]'
	touch $@

install: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test system-packages

# Tests use a few Debian packages: Chromium for the browser tests (Playwright cannot download
# its own browser here), khal to import our feeds, libical (through python3-gi) to validate
# our calendar data. As root they are installed with apt-get; otherwise the tests that need
# them are skipped with a message saying which package is missing.
SYSTEM_PACKAGES := chromium khal gir1.2-ical-3.0 python3-gi

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

lint:
	$(BIN)/ruff check roadshow tests bench migrations wsgi.py
	$(BIN)/ruff format --check roadshow tests bench wsgi.py

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
