# Two commands: `make run` serves the platform, `make test` runs the whole suite.
# Both set up what is missing first: system packages, .venv, front-end assets,
# a project-local PostGIS under .data/ (port 5544), migrations.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV     := .venv
PY       := $(VENV)/bin/python
FLASK    := $(VENV)/bin/flask --app agritrace
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST     ?= 127.0.0.1
PORT     ?= 5000
# Stamps print their QR with this address: by default the one `make run` serves on.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

SYSTEM_PACKAGES := postgresql-15 postgresql-15-postgis-3 python3-venv fonts-dejavu-core
TEST_PACKAGES   := chromium fonts-dejavu-core gdal-bin libcairo2 wrk libreoffice-calc-nogui
# What bench/failover.py runs: pg_auto_failover's monitor and nodes, nginx in front.
BENCH_PACKAGES  := postgresql-15-auto-failover nginx

# Install the Debian packages of $(1) that are missing, and nothing else.
define ensure_packages
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: run dev test fuzz stop setup system-packages test-packages bench-packages db migrate seed assets translations i18n-update

# `make run` serves with gunicorn, as deployed: threads enough for a browser and the
# map's tile requests at once. `make dev` serves with Flask's development server.
GUNICORN := $(VENV)/bin/gunicorn --worker-class gthread --workers 2 --threads 8 \
	--access-logfile - --bind $(HOST):$(PORT) 'agritrace:create_app()'

# The stamp worker mints the orders too large for a web request; it runs beside the
# server (the argument) and stops with it. Both run in the background so that the
# shell's traps fire at once on Ctrl-C or a TERM to make (a shell waiting on a
# foreground command runs its traps only after that command ends): none is left behind.
define serve_with_worker
	@$(FLASK) seed banner --url http://$(HOST):$(PORT)
	@$(FLASK) stamps worker & worker=$$!; \
	  $(1) & server=$$!; \
	  trap 'kill $$server $$worker 2>/dev/null; wait $$server $$worker 2>/dev/null' EXIT; \
	  trap 'exit 130' INT; trap 'exit 143' TERM; \
	  wait $$server
endef

run: setup
	$(call serve_with_worker,$(GUNICORN))

dev: setup
	$(call serve_with_worker,$(FLASK) run --host $(HOST) --port $(PORT))

# The import layers first (the contracts are in setup.cfg), then the suite on every
# core: pytest-xdist spreads the tests over TEST_WORKERS processes, each with its own
# throwaway database; tests/conftest.py keeps the timing-bound modules in one group.
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto
test: setup test-packages
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

# Many more Hypothesis examples and stateful API scenarios than `make test` runs.
fuzz: setup test-packages
	$(VENV)/bin/pytest tests/properties tests/fuzz --hypothesis-profile=fuzz

setup: system-packages $(VENV)/.installed assets translations db migrate seed

stop:
	@if [ -x $(PY) ]; then $(PY) -m agritrace.operations.localdb stop; else python3 -m agritrace.operations.localdb stop; fi

system-packages:
	$(call ensure_packages,$(SYSTEM_PACKAGES))

test-packages:
	$(call ensure_packages,$(TEST_PACKAGES))

# The benchmarks' extra programs (see bench/README.md); the peers that
# bench/tiles_peer.py compares with install themselves into .bench-venv/.
bench-packages: setup test-packages
	$(call ensure_packages,$(BENCH_PACKAGES))

$(VENV)/.installed: setup.cfg pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[deploy,test]'
	@touch $@

# Leaflet and its plugins come from the npm registry at set-up; nothing is
# fetched from a CDN at run time.
assets: static/vendor/.installed
static/vendor/.installed: static/package.json static/package-lock.json
	@mkdir -p static/vendor
	cp static/package.json static/package-lock.json static/vendor/
	cd static/vendor && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

translations: $(patsubst %.po,%.mo,$(wildcard agritrace/translations/*/LC_MESSAGES/messages.po))
agritrace/translations/%/LC_MESSAGES/messages.mo: agritrace/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -f -i $< -o $@

# After marking new strings: refresh messages.pot and the catalogues, then translate
# the empty entries of the Vietnamese catalogue.
i18n-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F agritrace/babel.cfg -k _l -k lazy_gettext \
	  --project AgriTrace --version 0.1.0 -o agritrace/translations/messages.pot .
	$(VENV)/bin/pybabel update -i agritrace/translations/messages.pot \
	  -d agritrace/translations --no-fuzzy-matching

db: $(VENV)/.installed
	$(PY) -m agritrace.operations.localdb up

migrate: db
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed demo

# Backups: `make backup` writes backups/agritrace-<UTC time>/ (BACKUP_DIR=… elsewhere);
# `make restore BACKUP=<folder>` restores into an empty database, FORCE=1 overwrites
# one with data, RESTORE_DB=<name> restores into a new database beside it instead.
.PHONY: backup restore
backup: db
	$(FLASK) backup create $(if $(BACKUP_DIR),--dest "$(BACKUP_DIR)")

restore: db
	@[ -n "$(BACKUP)" ] || { echo "Usage: make restore BACKUP=backups/agritrace-<time>" \
	  "[FORCE=1] [RESTORE_DB=<new database>]"; exit 2; }
	$(FLASK) backup restore "$(BACKUP)" $(if $(filter 1 yes true,$(FORCE)),--force) \
	  $(if $(RESTORE_DB),--into "$(RESTORE_DB)")
