# Developer and CI entry points. `make help` lists them.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
SCENARIOS ?= access
KNOWN_SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
# Two lanes: site then access on one, hardening, backup, maintenance on the other (measured 2026-12-02:
# site 2,184 s + access 531 s; hardening 1,109 + backup 1,276 + maintenance 488). New scenarios run last.
SCENARIO_ORDER := site hardening backup access maintenance
ALL_SCENARIOS ?= $(filter $(KNOWN_SCENARIOS),$(SCENARIO_ORDER)) $(filter-out $(SCENARIO_ORDER),$(KNOWN_SCENARIOS))
# make test runs this many scenarios at once (each on its own network); `make molecule` one.
MOLECULE_JOBS ?= 2

.PHONY: bench-roles bench-rbac bench-pgbouncer help deps collection unit integration quick lint sanity build molecule images test lab lab-destroy

help:
	@echo "make lab          - main job: local lab of hardened PostgreSQL hosts in podman containers"
	@echo "make test         - the whole test suite (what .ci/run runs)"
	@echo "make quick        - unit + integration tests only (fast iteration)"
	@echo "make molecule SCENARIOS='access' - one or more molecule scenarios"
	@echo "make bench-roles ROLES=1000 - role batch benchmark, side by side with community.postgresql"
	@echo "make bench-rbac ROLES=1000 TABLES=200 - grants at scale, side by side with community.postgresql"
	@echo "make bench-pgbouncer CLIENTS=50 DURATION=30 - pgbench TPS through PgBouncer next to a direct connection"

deps:
	@scripts/install-deps.sh

collection:
	@scripts/collection-path.sh >/dev/null

unit: deps collection
	$(VENV)/bin/pytest -q tests/unit

# Each xdist worker starts its own throwaway PostgreSQL; PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
integration: deps collection
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests/integration

quick: deps collection
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests/unit tests/integration

lint: deps collection
	scripts/lint.sh

sanity: deps collection
	scripts/sanity.sh

build: deps collection
	scripts/build-collection.sh

images: deps
	scripts/build-images.sh

molecule: deps collection images
	scripts/molecule.sh $(SCENARIOS)

# The base images build (debootstrap: network and dpkg) while the tests use the CPU; molecule then finds them.
test: deps collection
	@mkdir -p build; scripts/build-images.sh > build/images.log 2>&1 & images=$$!; \
	$(MAKE) unit integration lint sanity build; rc=$$?; \
	if wait $$images; then tail -n 2 build/images.log; else echo "images FAILED (build/images.log):"; cat build/images.log; exit 1; fi; \
	exit $$rc
	$(MAKE) molecule SCENARIOS="$(ALL_SCENARIOS)" PGW_MOLECULE_JOBS=$(MOLECULE_JOBS)

lab: deps collection images
	scripts/lab.sh up

bench-roles: deps collection
	$(VENV)/bin/python benchmarks/roles/bench.py --roles $(or $(ROLES),1000)

bench-rbac: deps collection
	$(VENV)/bin/python benchmarks/rbac/bench.py $(if $(ROLES),--roles $(ROLES)) $(if $(TABLES),--tables $(TABLES))

bench-pgbouncer: deps collection images
	benchmarks/pgbouncer/bench.sh --clients $(or $(CLIENTS),50) --seconds $(or $(DURATION),30)

lab-destroy:
	scripts/lab.sh down
