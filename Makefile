# The two set-up commands are `make up` (the stack) and `make test` (install + tests).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint bench stress clean

$(PY):
	python3 -m venv $(VENV)

# Re-install whenever pyproject.toml changes, so a new dependency never hides.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest

# Every bench/bench_*.py writes its numbers (and charts) into bench/; see bench/RESULTS.md.
bench: install
	@set -e; for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

# --- The stack (docker-compose.elk.yml): needs a Docker host; see README "The stack" ---
COMPOSE := docker compose -f docker-compose.elk.yml
ELKCTL := $(VENV)/bin/elkctl
# Settings as compose sees them: the environment first, then .env (init_env's parser).
LOG_DIR_SETTING = $${LOG_DIR:-$$(python3 scripts/init_env.py --get LOG_DIR)}
KIBANA_PORT_SETTING = $${KIBANA_PORT:-$$(python3 scripts/init_env.py --get KIBANA_PORT)}

.PHONY: env up down logs status reset demo e2e

# .env with random secrets on the first run; never overwrites an existing one.
env:
	python3 scripts/init_env.py
	@mkdir -p "$(LOG_DIR_SETTING)"

# The preflight checks run before the first start; a running stack holds its own ports
# and memory, so a second `make up` (to apply changes) skips them.
up: install
	@if $(COMPOSE) ps --status running --quiet elasticsearch 2>/dev/null | grep -q .; then \
	  echo "up: the stack is already running; skipping the preflight checks"; \
	else $(ELKCTL) doctor; fi
	@$(MAKE) --no-print-directory env
	$(COMPOSE) up -d --build --wait
	@mkdir -p certs
	$(COMPOSE) cp kibana:/usr/share/kibana/config/certs/ca.crt certs/ca.crt
	@echo
	@echo "Kibana:        http://localhost:$(KIBANA_PORT_SETTING)  (user: elastic)"
	@echo "Credentials:   ELASTIC_PASSWORD and the other secrets are in .env (mode 600)"
	@echo "CA certificate for https://localhost:9200: certs/ca.crt"
	@echo "Next:          make demo (sample traffic), make status, make logs"

down:
	$(COMPOSE) --profile demo down

logs:
	$(COMPOSE) --profile demo logs --follow --tail=100

status: install
	$(ELKCTL) status

# Deletes every volume: indices, Kibana objects, queues, Filebeat registry. .env is kept,
# so the next `make up` bootstraps the same passwords into fresh volumes.
reset:
	@if [ "$(CONFIRM)" != yes ]; then \
	  read -r -p "Delete ALL stack data (indices, Kibana objects, queues)? [y/N] " answer; \
	  [ "$$answer" = y ] || [ "$$answer" = Y ] || { echo "reset: aborted"; exit 1; }; \
	fi
	$(COMPOSE) --profile demo down --volumes --remove-orphans
	rm -f certs/ca.crt

# The demo shop writes traffic into LOG_DIR as you (your uid), until `make down`.
demo: env
	DEMO_UID=$$(id -u) DEMO_GID=$$(id -g) $(COMPOSE) --profile demo up -d --build demo
	@echo "demo: writing into $(LOG_DIR_SETTING); see Kibana > Discover, data view logs-*"

# Docker hosts only (CI does not run it): up, demo traffic, elkctl verify, saved searches,
# ILM on the backing index, then down --volumes.
e2e: install
	tests/e2e/run_e2e.sh

# Several processes writing through tiny rotation thresholds; see bench/RESULTS.md (stress).
stress: install
	$(PY) bench/stress.py
