"""The chart lints, renders for every values set, and every manifest is valid for its schema."""

from __future__ import annotations

import base64

import helm_python
import kubernetes_validate
import pytest

from tests.chart import crd_schema
from tests.chart.render import CHART, CI_VALUES, RELEASE, Rendered, values_file

SERVICES = ["studio", "script", "character", "generation", "finishing", "audio", "qc", "delivery"]
# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest schema at hand.
KUBE_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]
# Without `helm dependency build` (no registry here) the NATS and MinIO charts are absent.
MISSING_DEPENDENCIES = "chart directory is missing these dependencies: nats,minio"


@pytest.mark.parametrize("values_path", [None, *CI_VALUES], ids=lambda p: p.stem if p else "default")
def test_lint_finds_no_errors(values_path):
    report = helm_python.lint(CHART, values_file(values_path) if values_path else None, strict=False)
    problems = [m for m in report["messages"] if m["severity"] >= 2 and m["error"] != MISSING_DEPENDENCIES]
    assert report["errors"] == [] and problems == []


def test_every_service_process_is_deployed(rendered: Rendered):
    for name in SERVICES:
        deployment = rendered.named("Deployment", f"{RELEASE}-microdrama-{name}")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["microdrama", "serve", name]
        rendered.named("Service", f"{RELEASE}-microdrama-{name}")
        rendered.named("ServiceAccount", f"{RELEASE}-microdrama-{name}")
    assert len(rendered.of_kind("Deployment")) == len(SERVICES)


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_builtin_manifests_match_kubernetes_schemas(rendered: Rendered, kube_version: str):
    builtin = [m for m in rendered.manifests if not crd_schema.has_schema(m)]
    assert {m["kind"] for m in builtin} >= {"Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget"}
    for manifest in builtin:
        kubernetes_validate.validate(manifest, kube_version, strict=True)


def test_custom_resources_match_published_crd_schemas(rendered: Rendered):
    custom = [m for m in rendered.manifests if crd_schema.has_schema(m)]
    assert "RayCluster" in {m["kind"] for m in custom}
    for manifest in custom:
        crd_schema.validate(manifest)


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_ray_pod_templates_match_kubernetes_pod_schema(rendered: Rendered, kube_version: str):
    """The RayCluster CRD copy in the repo leaves pod specs open; check them as core/v1 PodTemplates."""
    (cluster,) = rendered.of_kind("RayCluster")
    groups = [cluster["spec"]["headGroupSpec"], *cluster["spec"]["workerGroupSpecs"]]
    for group in groups:
        template = {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "ray"},
            "template": group["template"],
        }
        kubernetes_validate.validate(template, kube_version, strict=True)


def test_crd_check_rejects_a_field_the_crd_does_not_define(renders: dict[str, Rendered]):
    (cluster,) = renders["default"].of_kind("RayCluster")
    broken = {**cluster, "spec": {**cluster["spec"], "workerGroups": []}}
    with pytest.raises(Exception, match="workerGroups"):
        crd_schema.validate(broken)


def test_scaled_objects_follow_each_workers_consumers(renders: dict[str, Rendered]):
    default = renders["default"]
    scaled = {
        s["spec"]["scaleTargetRef"]["name"].removeprefix(f"{RELEASE}-microdrama-"): s
        for s in default.of_kind("ScaledObject")
    }
    assert sorted(scaled) == sorted(set(SERVICES) - {"studio"})
    audio = [t["metadata"] for t in scaled["audio"]["spec"]["triggers"]]
    assert [(t["stream"], t["consumer"]) for t in audio] == [
        ("MD_EPISODE", "audio-episode-scripted"),
        ("MD_EPISODE", "audio-episode-finished"),
    ]
    character = {t["metadata"]["stream"] for t in scaled["character"]["spec"]["triggers"]}
    assert character == {"MD_SERIES", "MD_SHOT"}
    for obj in scaled.values():
        for trigger in obj["spec"]["triggers"]:
            assert trigger["type"] == "nats-jetstream"
            assert (
                trigger["metadata"]["natsServerMonitoringEndpoint"] == "md-nats-headless.media.svc.cluster.local:8222"
            )
            assert trigger["metadata"]["account"] == "$G"


def test_every_consumer_the_services_declare_scales_its_worker(renders: dict[str, Rendered]):
    from microdrama.events.catalog import stream_for
    from microdrama.runtime.discovery import load_services

    declared = {
        (service.name, stream_for(sub.subject), service.durable(sub))
        for service in load_services()
        if service.name != "studio"
        for sub in service.subscriptions
    }
    triggers = {
        (
            obj["spec"]["scaleTargetRef"]["name"].removeprefix(f"{RELEASE}-microdrama-"),
            t["metadata"]["stream"],
            t["metadata"]["consumer"],
        )
        for obj in renders["default"].of_kind("ScaledObject")
        for t in obj["spec"]["triggers"]
    }
    assert triggers == declared


def test_tls_reaches_every_service_as_files(renders: dict[str, Rendered]):
    production = renders["gpu-production"]
    config = production.of_kind("ConfigMap")[0]["data"]
    assert config["MD_TLS_CA_FILE"] == "/var/run/tls/microdrama/ca.crt"
    for deployment in production.of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert {"name": "tls", "mountPath": "/var/run/tls/microdrama", "readOnly": True} in pod["containers"][0][
            "volumeMounts"
        ]
        assert any(v.get("secret", {}).get("secretName") == "microdrama-tls" for v in pod["volumes"])
    assert "MD_TLS_CERT_FILE" not in renders["default"].of_kind("ConfigMap")[0]["data"]


def test_external_nats_feeds_keda_and_services(renders: dict[str, Rendered]):
    external = renders["external-s3-nats"]
    config = external.named("ConfigMap", f"{RELEASE}-microdrama-config")["data"]
    assert config["MD_NATS_URL"] == "nats://nats.messaging.svc.cluster.local:4222"
    assert config["MD_S3_ENDPOINT"] == "s3.eu-west-1.amazonaws.com:443" and config["MD_S3_SECURE"] == "true"
    triggers = [t["metadata"] for s in external.of_kind("ScaledObject") for t in s["spec"]["triggers"]]
    assert {t["natsServerMonitoringEndpoint"] for t in triggers} == {"nats-headless.messaging.svc.cluster.local:8222"}
    assert {t["account"] for t in triggers} == {"MICRODRAMA"}
    assert external.of_kind("Secret") == []


def test_bundled_minio_root_credentials_are_the_services_s3_keys(renders: dict[str, Rendered]):
    default = renders["default"]
    services = default.named("Secret", f"{RELEASE}-microdrama-secrets")["data"]
    minio = default.named("Secret", "microdrama-minio-root")["data"]
    assert minio == {"rootUser": services["MD_S3_ACCESS_KEY"], "rootPassword": services["MD_S3_SECRET_KEY"]}
    assert len(base64.b64decode(services["MD_S3_ACCESS_KEY"])) == 20  # MinIO's access-key limit
    config = default.named("ConfigMap", f"{RELEASE}-microdrama-config")["data"]
    assert config["MD_S3_ENDPOINT"] == "md-minio:9000" and config["MD_S3_SECURE"] == "false"


def test_gpu_worker_group_gets_gpus_node_placement_and_engine_cache(renders: dict[str, Rendered]):
    (cluster,) = renders["gpu-production"].of_kind("RayCluster")
    (gpu,) = [g for g in cluster["spec"]["workerGroupSpecs"] if g["groupName"] == "gpu"]
    assert (gpu["minReplicas"], gpu["maxReplicas"]) == (1, 8)
    pod = gpu["template"]["spec"]
    container = pod["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert container["image"].endswith("@sha256:" + "2" * 64)
    # Helm merges maps: the values file's selector joins the default one.
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    cache = next(v for v in pod["volumes"] if v["name"] == "engine-cache")
    assert cache["persistentVolumeClaim"]["claimName"] == "microdrama-trt-engines"
    assert {"name": "MD_MODELS_DIR", "value": "/var/cache/microdrama/engines"} in container["env"]
    assert cluster["spec"]["enableInTreeAutoscaling"] is True


def test_minimal_cpu_has_no_gpu_group_and_fixed_replicas(renders: dict[str, Rendered]):
    minimal = renders["minimal-cpu"]
    (cluster,) = minimal.of_kind("RayCluster")
    assert [g["groupName"] for g in cluster["spec"]["workerGroupSpecs"]] == ["cpu"]
    assert minimal.of_kind("ScaledObject") == []
    assert all(d["spec"]["replicas"] >= 1 for d in minimal.of_kind("Deployment"))


def test_scaled_deployments_leave_replicas_to_keda(renders: dict[str, Rendered]):
    for deployment in renders["default"].of_kind("Deployment"):
        is_gateway = deployment["metadata"]["name"].endswith("-studio")
        assert ("replicas" in deployment["spec"]) == is_gateway


def test_finishing_connects_to_the_ray_head_service(renders: dict[str, Rendered]):
    default = renders["default"]
    finishing = default.named("Deployment", f"{RELEASE}-microdrama-finishing")
    env = {e["name"]: e.get("value") for e in finishing["spec"]["template"]["spec"]["containers"][0]["env"]}
    (cluster,) = default.of_kind("RayCluster")
    assert env["MD_RAY_ADDRESS"] == f"ray://{cluster['metadata']['name']}-head-svc:10001"


def test_nats_subchart_gets_production_settings():
    nats = helm_python.Chart.load(CHART).values["nats"]
    assert nats["config"]["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = nats["config"]["jetstream"]
    assert jetstream["fileStore"]["enabled"] is True and jetstream["memoryStore"]["enabled"] is False
    assert jetstream["merge"] == {"sync_interval": "always"}


def test_observability_settings_come_from_values(renders: dict[str, Rendered]):
    prod = renders["gpu-production"]
    config = prod.named("ConfigMap", f"{RELEASE}-microdrama-config")["data"]
    assert config["MD_OTLP_ENDPOINT"] == "http://otel-collector.observability:4317"
    assert config["MD_LOG_FORMAT"] == "json"
    (monitor,) = prod.of_kind("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    annotations = prod.of_kind("Deployment")[0]["spec"]["template"]["metadata"]["annotations"]
    assert "prometheus.io/scrape" not in annotations
    default_annotations = renders["default"].of_kind("Deployment")[0]["spec"]["template"]["metadata"]["annotations"]
    assert default_annotations["prometheus.io/port"] == "9464"
    assert renders["default"].of_kind("ServiceMonitor") == []


def test_streams_are_replicated_across_the_nats_cluster(renders: dict[str, Rendered]):
    replicas = {
        name: r.named("ConfigMap", f"{RELEASE}-microdrama-config")["data"]["MD_STREAM_REPLICAS"]
        for name, r in renders.items()
    }
    assert replicas == {"default": "3", "minimal-cpu": "1", "gpu-production": "3", "external-s3-nats": "3"}
