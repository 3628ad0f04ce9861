# syntax=docker/dockerfile:1.7
# One service's image: the shared runtime (infra/docker/base.Dockerfile) plus that service's package.
# Built once per service (`make images`): SERVICE names it, EXTRA_PACKAGES adds what only it needs
# (finishing: Ray's dashboard and autoscaler, since its image also runs the Ray head). One file,
# because the services' images differ only in those two arguments.
ARG BASE_IMAGE=microdrama-base:0.1.0
ARG WHEELS_IMAGE=microdrama-wheels:0.1.0

FROM ${WHEELS_IMAGE} AS wheels

FROM ${BASE_IMAGE}
ARG SERVICE
ARG MICRODRAMA_VERSION=0.1.0
ARG EXTRA_PACKAGES=""
USER 0:0
# EXTRA_PACKAGES is a space-separated list of pinned requirement specifiers (make images pins them),
# split on purpose; hadolint cannot see their pins.
# hadolint ignore=SC2086,DL3013
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    test -n "${SERVICE}" && \
    pip --python /opt/venv/bin/python install --no-cache-dir --no-index --find-links /wheels \
      "microdrama-${SERVICE}==${MICRODRAMA_VERSION}" ${EXTRA_PACKAGES}
USER 10001:10001
ENV MD_SERVICE=${SERVICE}
EXPOSE 50051 9464 8086
# The chart gives the command; run by hand, the image serves its own service (exec: SIGTERM reaches it).
CMD ["/bin/sh", "-c", "exec microdrama serve \"$MD_SERVICE\""]
