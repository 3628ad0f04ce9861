"""Policies over every render: restricted pods, limits, probes, drain time, PDB and NetworkPolicy
coverage, pinned images, secrets only as files."""

from __future__ import annotations

import base64
from typing import Any

from tests.chart.render import Rendered, pod_specs

SECRET_NAMES = {"MD_S3_ACCESS_KEY", "MD_S3_SECRET_KEY", "MD_ADMIN_KEY", "MD_BOOTSTRAP_API_KEY"}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """matchLabels/matchExpressions(In) semantics, enough for the selectors the chart writes."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _pod_labels(rendered: Rendered) -> list[tuple[str, dict[str, str]]]:
    pods = [
        (d["metadata"]["name"], d["spec"]["template"]["metadata"]["labels"]) for d in rendered.of_kind("Deployment")
    ]
    for cluster in rendered.of_kind("RayCluster"):
        # KubeRay adds ray.io/* labels to the pods it creates.
        ray = {"ray.io/cluster": cluster["metadata"]["name"]}
        head = cluster["spec"]["headGroupSpec"]["template"]["metadata"]["labels"]
        pods.append(("ray-head", {**head, **ray, "ray.io/node-type": "head"}))
        for group in cluster["spec"]["workerGroupSpecs"]:
            labels = group["template"]["metadata"]["labels"]
            pods.append((f"ray-{group['groupName']}", {**labels, **ray, "ray.io/node-type": "worker"}))
    return pods


def test_every_container_meets_the_restricted_pod_security_standard(rendered: Rendered):
    for owner, pod in pod_specs(rendered):
        assert pod["securityContext"]["runAsNonRoot"] is True, owner
        assert pod["securityContext"]["runAsUser"] > 0, owner
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, owner
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, owner
            assert context["allowPrivilegeEscalation"] is False, owner
            assert context["readOnlyRootFilesystem"] is True, owner
            assert context["capabilities"] == {"drop": ["ALL"]}, owner
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, owner
            tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
            assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == tmp["name"]), owner


def test_every_container_has_requests_limits_and_probes(rendered: Rendered):
    for owner, pod in pod_specs(rendered):
        for container in pod["containers"]:
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (owner, kind)
            assert "livenessProbe" in container and "readinessProbe" in container, owner
            assert "preStop" in container["lifecycle"], owner


def test_service_liveness_never_depends_on_nats_or_s3(rendered: Rendered):
    # The plaintext health port: kubelet probes cannot present client certificates when mTLS is on.
    config = rendered.of_kind("ConfigMap")[0]["data"]
    assert config["MD_HEALTH_LISTEN"] == "0.0.0.0:8086"
    for deployment in rendered.of_kind("Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["grpc"] == {"port": 8086, "service": "liveness"}
        assert container["startupProbe"]["grpc"] == {"port": 8086, "service": "liveness"}
        assert container["readinessProbe"]["grpc"] == {"port": 8086}


def test_termination_grace_covers_the_drain(rendered: Rendered):
    for deployment in rendered.of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        drain = int(next(e["value"] for e in container["env"] if e["name"] == "MD_DRAIN_TIMEOUT_S"))
        pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
        assert pod["terminationGracePeriodSeconds"] > drain + pause, deployment["metadata"]["name"]
        if deployment["metadata"]["name"].endswith("-finishing"):
            assert drain >= 300


def test_every_pod_is_covered_by_a_pdb(rendered: Rendered):
    budgets = [p["spec"]["selector"] for p in rendered.of_kind("PodDisruptionBudget")]
    for name, labels in _pod_labels(rendered):
        assert any(_selects(selector, labels) for selector in budgets), name


def test_every_pod_is_under_default_deny_and_an_allowing_policy(rendered: Rendered):
    policies = rendered.of_kind("NetworkPolicy")
    deny = [p for p in policies if p["metadata"]["name"].endswith("-default-deny")]
    assert len(deny) == 1 and "ingress" not in deny[0]["spec"] and "egress" not in deny[0]["spec"]
    assert set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    allowing = [p for p in policies if p not in deny]
    for name, labels in _pod_labels(rendered):
        assert _selects(deny[0]["spec"]["podSelector"], labels), name
        assert any(_selects(p["spec"]["podSelector"], labels) for p in allowing), name


def test_only_the_gateway_accepts_grpc_from_outside(rendered: Rendered):
    for policy in rendered.of_kind("NetworkPolicy"):
        grpc_rules = [
            r for r in policy["spec"].get("ingress", []) if {"protocol": "TCP", "port": 50051} in r.get("ports", [])
        ]
        component = policy["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
        assert (len(grpc_rules) == 1) == (component == "studio"), policy["metadata"]["name"]


def test_images_are_pinned_never_latest(rendered: Rendered):
    for owner, pod in pod_specs(rendered):
        for container in pod["containers"]:
            reference = container["image"].split("@")[0]
            repository, _, tag = reference.rpartition(":")
            assert repository and tag and tag != "latest", (owner, container["image"])


def test_default_tag_is_the_chart_app_version(renders: dict[str, Rendered]):
    images = {c["image"] for _, pod in pod_specs(renders["default"]) for c in pod["containers"]}
    assert {image.rpartition(":")[2] for image in images} == {"0.1.0"}


def test_no_secret_in_configmaps_or_env(rendered: Rendered):
    secret_values = {
        base64.b64decode(value).decode() for secret in rendered.of_kind("Secret") for value in secret["data"].values()
    }
    for config in rendered.of_kind("ConfigMap"):
        data = config["data"]
        assert not SECRET_NAMES & set(data), config["metadata"]["name"]
        assert not secret_values & set(data.values()), config["metadata"]["name"]
    for owner, pod in pod_specs(rendered):
        for container in pod["containers"]:
            for env in container.get("env", []):
                assert env["name"] not in SECRET_NAMES and "valueFrom" not in env, (owner, env["name"])


def test_secrets_reach_pods_as_files_at_md_secrets_dir(rendered: Rendered):
    (config,) = rendered.of_kind("ConfigMap")
    secrets_dir = config["data"]["MD_SECRETS_DIR"]
    for owner, pod in pod_specs(rendered):
        volume = next(v for v in pod["volumes"] if "secret" in v)
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
        assert mount["mountPath"] == secrets_dir and mount["readOnly"] is True, owner
        keys = {item["key"] for item in volume["secret"]["items"]}
        # Least privilege: only the gateway gets the admin and bootstrap keys.
        expected = SECRET_NAMES if owner.endswith("-studio") else {"MD_S3_ACCESS_KEY", "MD_S3_SECRET_KEY"}
        assert keys == expected, owner


def test_service_accounts_hold_no_token(rendered: Rendered):
    for account in rendered.of_kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False
    for owner, pod in pod_specs(rendered):
        # The Ray head's autoscaler needs the API token of the account KubeRay creates for it.
        if not owner.endswith("/head"):
            assert pod["automountServiceAccountToken"] is False, owner
    assert not {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} & {m["kind"] for m in rendered.manifests}
