# Aarya: one entry point for developers and CI. Servers come from Debian packages + Maven Central
# (ops/servers.sh), our processes are supervised by ops/platformctl.py.
#
#   make up       install + start servers, create .venv, start the platform (env dev)
#   make test     servers + .venv, then pytest (tests start their own processes in env test;
#                 tests/resilience's short stories in env chaos on ops/chaos_servers.sh's servers)
#   make status   servers and processes, with health
#   make down     stop the platform, then the servers that `make up` started
#   make bench    run every bench/*.py in order
#   make chaos    the long resilience runs (tests/resilience, AARYA_CHAOS=long) on dedicated servers,
#                 then tests/security with the long fuzzing run
#   make install  servers installed + .venv, nothing started

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Installing and starting servers needs root; use sudo when not root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# pyproject requires Python 3.11; prefer an explicit 3.11 interpreter when there is one.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.aarya-installed
SERVERS := ops/servers.sh
PLATFORMCTL := $(VPY) -m ops.platformctl

.PHONY: help install servers-install servers-start servers venv up down status test bench chaos

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

servers-install:
	$(SUDO) bash $(SERVERS) install

servers-start:
	$(SUDO) bash $(SERVERS) start

servers: servers-install servers-start

# Re-run pip only when pyproject.toml changes (the stamp is newer than it otherwise).
$(STAMP): pyproject.toml
	@[ -x $(VPY) ] || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q -e '.[test]'
	@touch $@

venv: $(STAMP)

install: servers-install venv

up: servers venv
	$(PLATFORMCTL) up --env dev

# Only env dev: test processes belong to a running test session (make test stops its own).
down:
	@if [ -x $(VPY) ]; then $(PLATFORMCTL) down --env dev; fi
	$(SUDO) bash $(SERVERS) stop

status:
	@echo "== servers"; bash $(SERVERS) status || true
	@echo "== processes (dev)"; [ -x $(VPY) ] && $(PLATFORMCTL) status --env dev || echo "no .venv yet: make install"

# AARYA_ENV=test so anything that loads config without naming an env gets the test one, never dev.
# Leftover test processes (a crashed test's) are stopped afterwards, whatever the outcome.
# tests/resilience runs its short stories last, in a pytest run of its own (a few seconds of load
# per fault, on the chaos servers of ops/chaos_servers.sh, which its fixture starts): its two
# replicas of every process must not share the machine with the other suites' timings.
# `make chaos` runs the long ones.
test: servers venv
	@rc=0; AARYA_ENV=test $(VENV)/bin/pytest -q --ignore=tests/resilience || rc=$$?; \
	$(PLATFORMCTL) down --env test || true; \
	AARYA_ENV=test $(VENV)/bin/pytest -q tests/resilience || rc=$$?; \
	$(PLATFORMCTL) down --env chaos || true; \
	exit $$rc

bench: servers venv
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no bench/*.py yet"; exit 0; fi; \
	for s in "$${scripts[@]}"; do echo "== $$s"; $(VPY) "$$s" || exit $$?; done

# Kills and server restarts run only on ops/chaos_servers.sh's own servers (:5433/:5673/:6390).
chaos: servers venv
	@rc=0; AARYA_CHAOS=long AARYA_ENV=test $(VENV)/bin/pytest -q -s tests/resilience || rc=$$?; \
	$(PLATFORMCTL) down --env chaos || true; \
	AARYA_CHAOS=long AARYA_ENV=test $(VENV)/bin/pytest -q tests/security || rc=$$?; \
	$(PLATFORMCTL) down --env test || true; cat var/chaos/figures.txt 2>/dev/null | tail -n 30; \
	exit $$rc
