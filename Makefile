# microdrama: `make demo` and `make test` set everything up from the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVICES := studio script character generation finishing audio qc delivery
STAMP := $(VENV)/.installed
OUT ?= out/demo
STACK ?= out/stack

.PHONY: all setup demo up down test unit lint proto-lint format protos bench bench-finishing bench-episode bench-models images clean

all: test

$(STAMP): pipeline-core/pyproject.toml pipeline-core/hatch_build.py $(wildcard protos/md/*/v1/*.proto) $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e "./pipeline-core[test,models]" $(foreach s,$(SERVICES),-e ./services/$(s))
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

# Learned upscalers: fps per model x backend x input size against the machine's peak (docs/benchmarks.md).
bench-models: $(STAMP)
	$(BIN)/python -m bench.models

# Finishing time per shot for two-scene episodes of two lengths, beside the ffmpeg chain (docs/benchmarks-episode.md).
bench-episode: $(STAMP)
	$(BIN)/python -m bench.episode_length

bench: bench-finishing bench-episode

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

# Container images (infra/docker/: base, one per service from service.Dockerfile, finishing GPU); skipped with a message where Docker is absent.
IMAGE_REGISTRY ?= ghcr.io/microdrama
IMAGE_TAG ?= $(shell sed -n 's/^appVersion: "\(.*\)"/\1/p' charts/microdrama/Chart.yaml)
RAY_VERSION ?= $(shell sed -n 's/^  version: "\([0-9.]*\)".*/\1/p' charts/microdrama/values.yaml | head -1)
IMAGE_ARGS := --build-arg WHEELS_IMAGE=microdrama-wheels:$(IMAGE_TAG) --build-arg BASE_IMAGE=microdrama-base:$(IMAGE_TAG)

images:
	@if ! docker info >/dev/null 2>&1; then echo "images skipped: no Docker daemon here (docker info failed)"; exit 0; fi; \
	set -e; export DOCKER_BUILDKIT=1; \
	docker build -f infra/docker/base.Dockerfile --target wheels -t microdrama-wheels:$(IMAGE_TAG) .; \
	docker build -f infra/docker/base.Dockerfile --target runtime -t microdrama-base:$(IMAGE_TAG) .; \
	for s in $(SERVICES); do \
	  extra=""; if [ $$s = finishing ]; then extra="ray[default]==$(RAY_VERSION)"; fi; \
	  docker build -f infra/docker/service.Dockerfile $(IMAGE_ARGS) --build-arg SERVICE=$$s \
	    --build-arg EXTRA_PACKAGES="$$extra" -t $(IMAGE_REGISTRY)/$$s:$(IMAGE_TAG) infra/docker; \
	done; \
	docker build -f infra/docker/finishing-gpu.Dockerfile $(IMAGE_ARGS) -t $(IMAGE_REGISTRY)/finishing-gpu:$(IMAGE_TAG) infra/docker

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache pipeline-core/src/md
