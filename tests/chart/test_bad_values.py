"""Wrong values stop the render with a message naming the value and what to set."""

from __future__ import annotations

import helm_python
import pytest

from tests.chart.render import render

EXTERNAL = {
    "minio": {"enabled": False},
    "s3": {"endpoint": "s3.example.com:443"},
    "secrets": {"existingSecret": "creds"},
}

CASES = {
    "negative replicas": (
        {"services": {"script": {"replicas": -1}}},
        "at '/services/script/replicas': minimum: got -1, want 0",
    ),
    "gpu group without gpu limit": (
        {"ray": {"workerGroups": {"gpu": {"resources": {"limits": {"nvidia.com/gpu": None}}}}}},
        "ray.workerGroups.gpu is a GPU worker group (gpu: true) without a GPU limit",
    ),
    "gpu limit on a cpu group": (
        {"ray": {"workerGroups": {"cpu": {"resources": {"limits": {"nvidia.com/gpu": 1}}}}}},
        "ray.workerGroups.cpu asks for nvidia.com/gpu but is not marked gpu: true",
    ),
    "no s3 endpoint without minio": ({"minio": {"enabled": False}}, "s3.endpoint is required when minio.enabled=false"),
    "external s3 without credentials": (
        {"minio": {"enabled": False}, "s3": {"endpoint": "s3.example.com:443"}},
        "an external S3 (minio.enabled=false) needs its credentials",
    ),
    "s3 endpoint with a scheme": ({"s3": {"endpoint": "https://s3.example.com"}}, "at '/s3/endpoint'"),
    "no nats url without nats": (
        {**EXTERNAL, "nats": {"enabled": False}},
        "externalNats.url is required when nats.enabled=false",
    ),
    "keda without nats monitoring": (
        {**EXTERNAL, "nats": {"enabled": False}, "externalNats": {"url": "nats://nats:4222"}},
        "externalNats.monitoringEndpoint is required",
    ),
    "latest image tag": (
        {"services": {"qc": {"image": {"tag": "latest"}}}},
        'services.qc.image.tag: image tag "latest" is not allowed',
    ),
    "latest default tag": ({"image": {"tag": "latest"}}, 'image.tag: image tag "latest" is not allowed'),
    "secret in the configmap": (
        {"config": {"extraEnv": {"MD_ADMIN_KEY": "x"}}},
        "config.extraEnv.MD_ADMIN_KEY: secrets never go in the ConfigMap",
    ),
    "autoscaling min above max": (
        {"services": {"qc": {"autoscaling": {"minReplicas": 5, "maxReplicas": 2}}}},
        "services.qc.autoscaling: minReplicas (5) is greater than maxReplicas (2)",
    ),
    "ray replicas outside bounds": (
        {"ray": {"workerGroups": {"cpu": {"replicas": 9}}}},
        "ray.workerGroups.cpu: replicas (9) must lie between minReplicas (1) and maxReplicas (4)",
    ),
    "root user": ({"securityContext": {"runAsUser": 0}}, "at '/securityContext/runAsUser': minimum: got 0, want 1"),
    "service without limits": (
        {"services": {"audio": {"resources": {"limits": None}}}},
        "at '/services/audio/resources': missing property 'limits'",
    ),
    "unknown service": ({"services": {"upscaler": {}}}, "at '/services': additional properties 'upscaler' not allowed"),
    "tls without its secret": ({"tls": {"enabled": True}}, "tls.enabled needs tls.secretName"),
    "bad digest": ({"services": {"qc": {"image": {"digest": "latest"}}}}, "at '/services/qc/image/digest'"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_values_fail_with_a_clear_message(case: str):
    values, message = CASES[case]
    with pytest.raises((helm_python.HelmValuesError, helm_python.HelmRenderError)) as raised:
        render(values)
    assert message in str(raised.value)
