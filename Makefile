# microdrama: `make demo` and `make test` set everything up from the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVICES := studio script character generation finishing audio qc delivery
STAMP := $(VENV)/.installed
OUT ?= out/demo
STACK ?= out/stack

.PHONY: all setup demo up down test unit lint proto-lint format protos bench bench-finishing clean

all: test

$(STAMP): pipeline-core/pyproject.toml pipeline-core/hatch_build.py $(wildcard protos/md/*/v1/*.proto) $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e "./pipeline-core[test]" $(foreach s,$(SERVICES),-e ./services/$(s))
	touch $(STAMP)

setup: $(STAMP)

# Rebuild the generated protobuf code (it is also built on every install).
protos: setup
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall -e ./pipeline-core

demo: $(STAMP)
	$(BIN)/microdrama run examples/the-last-heir --out $(OUT)

# The local stack: every service its own process (logs, keys and addresses in $(STACK)/).
up: $(STAMP)
	$(BIN)/microdrama up --out $(STACK)

down: $(STAMP)
	$(BIN)/microdrama down --out $(STACK)

BUF := $(VENV)/buf/node_modules/.bin/buf

lint: $(STAMP) proto-lint
	$(BIN)/ruff check pipeline-core/src services tests infra bench
	$(BIN)/mypy pipeline-core/src/microdrama services/*/src bench

# buf ships on the npm registry; where npm is missing the proto lint is skipped, saying so.
proto-lint:
	@if ! command -v npm >/dev/null 2>&1; then echo "buf lint skipped: npm not found"; \
	elif ! (test -x $(BUF) || npm install --silent --no-audit --no-fund --prefix $(VENV)/buf @bufbuild/buf@1.75.0); then \
	  echo "buf lint skipped: @bufbuild/buf could not be installed from the npm registry"; \
	else $(BUF) lint protos && echo "buf lint: protos clean"; fi

format: $(STAMP)
	$(BIN)/ruff format pipeline-core/src services tests infra bench

# Finishing against clean ground truth, side by side with the ffmpeg filter chain (docs/benchmarks.md).
bench-finishing: $(STAMP)
	$(BIN)/python -m bench.finishing

bench: bench-finishing

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache pipeline-core/src/md
