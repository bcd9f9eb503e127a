# The two commands of the README: `make run` and `make test`.
# Everything installs into $(VENV); nothing outside it is changed except, where Python's venv
# module is missing on Debian/Ubuntu and we run as root, the python3-venv package.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app roadshow
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test browser translations messages lint typecheck pytest clean

run: install translations
	ROADSHOW_ENV=$${ROADSHOW_ENV:-development} $(FLASK) db upgrade
	ROADSHOW_ENV=$${ROADSHOW_ENV:-development} $(FLASK) demo seed
	ROADSHOW_ENV=$${ROADSHOW_ENV:-development} $(FLASK) run --host $(HOST) --port $(PORT)

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

install-test: $(VENV)/.installed-test browser

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is not installed: browser tests will be skipped (sudo apt-get install chromium)"; \
	  fi; }

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
	  $(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location -o $$dir/messages.pot $$sources || exit 1; \
	  if [ -f $$dir/en/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-fuzzy-matching -i $$dir/messages.pot -d $$dir -l en; \
	  else $(BIN)/pybabel -q init -i $$dir/messages.pot -d $$dir -l en; fi; \
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
