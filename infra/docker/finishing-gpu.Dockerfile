# syntax=docker/dockerfile:1.7
# GPU image for the finishing Ray workers: CUDA runtime, TensorRT (pip wheels), microdrama and Ray
# from the shared wheels stage (infra/docker/base.Dockerfile). NGC's TensorRT images ship another
# Python minor version than the driver's 3.11, and Ray refuses mixed versions; so Python comes from
# python-build-standalone (relocatable, via uv in the builder only) at the driver's exact version.
# TensorRT engines are cached in MD_MODELS_DIR, a volume (the chart mounts one there).
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-runtime-ubuntu24.04
ARG WHEELS_IMAGE=microdrama-wheels:0.1.0
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.8.22

FROM ${WHEELS_IMAGE} AS wheels
FROM ${UV_IMAGE} AS uv

FROM ${CUDA_IMAGE} AS builder
ARG PYTHON_VERSION=3.11.13
ARG RAY_VERSION=2.60.0
ARG MICRODRAMA_VERSION=0.1.0
ARG TENSORRT_VERSION=10.13.3.9
ENV UV_PYTHON_INSTALL_DIR=/opt/python \
    UV_PYTHON_PREFERENCE=only-managed \
    UV_NO_CACHE=1
COPY --from=uv /uv /usr/local/bin/uv
RUN uv python install "${PYTHON_VERSION}" \
 && uv venv --python "${PYTHON_VERSION}" /opt/venv
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    uv pip install --python /opt/venv/bin/python --find-links /wheels \
      "microdrama-finishing==${MICRODRAMA_VERSION}" "ray[default]==${RAY_VERSION}" \
      "tensorrt-cu12==${TENSORRT_VERSION}"

FROM ${CUDA_IMAGE}
RUN groupadd --gid 10001 microdrama \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin microdrama \
 && mkdir -p /var/cache/microdrama/engines \
 && chown 10001:10001 /var/cache/microdrama/engines
COPY --from=builder /opt/python /opt/python
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MD_MODELS_DIR=/var/cache/microdrama/engines
VOLUME ["/var/cache/microdrama/engines"]
WORKDIR /tmp
USER 10001:10001
