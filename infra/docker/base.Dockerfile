# syntax=docker/dockerfile:1.7
# Stages shared by every microdrama image; `make images` builds them once, then each
# infra/docker/service.Dockerfile adds one service's package on top (docs/deploy.md, "Images").
#   wheels:  every wheel the services need (pipeline-core's protobuf code is generated while its
#            wheel builds), built once so all images carry identical versions, Ray included.
#   runtime: Python slim, uid 10001, a venv with microdrama; no compilers, no wheels, no build cache.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS wheels
# Ray in every image must equal the chart's ray.version (the driver, head and workers must agree).
ARG RAY_VERSION=2.60.0
WORKDIR /src
COPY protos/ protos/
COPY pipeline-core/ pipeline-core/
COPY services/ services/
RUN pip wheel --no-cache-dir --wheel-dir /wheels \
      ./pipeline-core ./services/studio ./services/script ./services/character ./services/generation \
      ./services/finishing ./services/audio ./services/qc ./services/delivery \
      "ray[default]==${RAY_VERSION}"

FROM ${PYTHON_IMAGE} AS runtime
ARG MICRODRAMA_VERSION=0.1.0
RUN groupadd --gid 10001 microdrama \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin microdrama
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The venv has no pip of its own; the base image's pip installs into it from the wheels stage only.
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m venv --without-pip /opt/venv \
 && pip --python /opt/venv/bin/python install --no-cache-dir --no-index --find-links /wheels \
      "microdrama==${MICRODRAMA_VERSION}"
WORKDIR /tmp
USER 10001:10001
