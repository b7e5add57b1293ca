# Every target builds .venv on a fresh machine and is fast when it already exists.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-lab lint bench bench-http bench-replicas venv clean image upstream

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing contrail-f5-reconciler and its dev tools into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

# `make test` first fetches what `make upstream` fetches, if it can: offline, the tests that
# need it skip and name the command.
test: $(STAMP)
	@$(PYTHON) scripts/upstream.py --best-effort --timeout 120
	$(PY) -m pytest $(PYTEST_ARGS)

# The integration tests against your own BIG-IP (tests/support/lab.py; README "Lab mode"):
# LAB_BIGIP=host[:port] LAB_BIGIP_USER=admin LAB_BIGIP_PASSWORD_FILE=/path make test-lab
test-lab: $(STAMP)
	@test -n "$(LAB_BIGIP)" || { echo "make test-lab needs LAB_BIGIP=host[:port] (and LAB_BIGIP_PASSWORD_FILE)" >&2; exit 1; }
	$(PY) -m pytest -p no:cacheprovider tests/integration $(PYTEST_ARGS)

# F5's functional tests, f5-cccl and F5's Ansible fixtures at their pinned commits, the
# emulators' judges, into ~/.cache/contrail-f5-reconciler/upstream ($$UPSTREAM_CACHE): cloned
# from GitHub, or from bare git mirrors at $$UPSTREAM_MIRROR/<owner>+<name>/repo.
upstream:
	$(PYTHON) scripts/upstream.py

# The pure core and the manifests: no server, no subprocess, no broker (a few seconds; the
# emulators' own tests and everything end to end are in `make test`, which CI runs).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not rabbitmq and not zookeeper" tests/unit tests/deploy $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy reconciler emulators

# QUICK=1 is the one-minute smoke run: it skips installing matplotlib (and plots only if
# it is already there); the full run installs it for docs/bench-scaling.png.
bench: $(STAMP)
	@$(if $(QUICK),true,$(PY) -c 'import matplotlib' 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]')
	$(PY) scripts/bench.py $(if $(QUICK),--quick,) $(BENCH_ARGS)
	$(PY) scripts/bench_http.py $(if $(QUICK),--lbs 100 --seconds 10 --out build/bench,)

# The HTTP surface alone (part of `make bench`): N = 1,000, 30 clients on /, 1,100 idle
# sockets, /healthz probed every 100 ms for 60 s (~2 minutes) → docs/BENCHMARKS.md.
bench-http: $(STAMP)
	$(PY) scripts/bench_http.py $(BENCH_HTTP_ARGS)

# Replicas (issue 25 item 5: a real ZooKeeper, RabbitMQ, 12 sets x 2,000 LBs on 12 emulated
# BIG-IPs, 3 replicas): each replica's Contrail reads and RSS against one daemon's, change
# p50/p99, kill -9 in a burst of 200 changes, a fourth replica joining, device write logs
# checked for two writers at once → build/bench-replicas/ (BENCH_REPLICAS_ARGS="--out docs/"
# for docs/BENCHMARKS.md and its two plots; matplotlib is installed for them when missing).
# The full run takes about 15 minutes on 2 cores; BENCH_REPLICAS_ARGS=--quick 1-2 minutes.
bench-replicas: $(STAMP)
	@$(PY) -c 'import matplotlib' 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]' || echo "no matplotlib: no plots"
	$(PY) scripts/bench_replicas.py $(BENCH_REPLICAS_ARGS)

# The image, built with podman from the unchanged Dockerfile on a locally made Debian base
# (scripts/image.py says how): 2-3 minutes the first time, base included; then seconds.
image: $(STAMP)
	$(PY) scripts/image.py $(IMAGE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
