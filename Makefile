# Every target builds .venv on a fresh machine and is fast when it already exists.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-http venv clean image

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing contrail-f5-reconciler and its dev tools into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

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

# The image, built with podman from the unchanged Dockerfile on a locally made Debian base
# (scripts/image.py says how): 2-3 minutes the first time, base included; then seconds.
image: $(STAMP)
	$(PY) scripts/image.py $(IMAGE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
