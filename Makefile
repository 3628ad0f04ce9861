# microdrama: `make demo` and `make test` set everything up from the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVICES := studio script character generation finishing audio qc delivery
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: all setup demo test unit integration e2e lint format protos clean

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

lint: $(STAMP)
	$(BIN)/ruff check pipeline-core/src services tests infra
	$(BIN)/mypy pipeline-core/src/microdrama services/*/src

format: $(STAMP)
	$(BIN)/ruff format pipeline-core/src services tests infra

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache pipeline-core/src/md
