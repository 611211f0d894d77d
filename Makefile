# paperplan: `make run` sets up and opens the app; `make test` sets up and runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
# llama-cpp-python compiles from source; leaving out its tools, server, examples and tests
# roughly halves the build. pip caches the built wheel, so this is paid once per machine.
LLAMA_CMAKE_ARGS := -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF

.PHONY: setup run test lint eval bench reliability clean-venv

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build on local disk, not a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

run: setup
	$(VENV)/bin/paperplan init
	$(VENV)/bin/paperplan

lint: setup
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

eval: setup
	$(PY) -m bench.eval

bench: setup
	$(PY) -m bench.bench

# Crash (>= 50 SIGKILLs), faults, bad input (hypothesis + atheris), concurrency, untrusted
# papers, secrets: prints the figures and writes bench/results/reliability-*.json (< 15 min).
reliability: setup
	$(PY) -m bench.reliability

clean-venv:
	rm -rf $(VENV)
