"""Render charts/microdrama offline with the Helm SDK (helm-python-sdk) into parsed manifests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "microdrama"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
RELEASE = "md"
NAMESPACE = "media"


@dataclass(frozen=True)
class Rendered:
    """One render of the chart: its values file and the manifests it produced."""

    name: str
    manifests: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        for manifest in self.of_kind(kind):
            if manifest["metadata"]["name"] == name:
                return manifest
        raise KeyError(f"no {kind} named {name} in the {self.name} render")


def render(values: dict[str, Any], name: str = "values") -> Rendered:
    """Render with the given values (merged over values.yaml); raises Helm's error on failure."""
    chart = helm_python.Chart.load(CHART)
    files = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    # NOTES.txt is text for the installer, not a manifest.
    manifests = [
        doc for path, text in files.items() if not path.endswith("NOTES.txt") for doc in yaml.safe_load_all(text) if doc
    ]
    return Rendered(name, manifests)


def values_file(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    return loaded if isinstance(loaded, dict) else {}


def pod_specs(rendered: Rendered) -> list[tuple[str, dict[str, Any]]]:
    """(owner, pod template spec) for every pod the chart describes: Deployments and Ray groups."""
    specs = [
        (f"Deployment/{d['metadata']['name']}", d["spec"]["template"]["spec"]) for d in rendered.of_kind("Deployment")
    ]
    for cluster in rendered.of_kind("RayCluster"):
        specs.append(
            (f"RayCluster/{cluster['metadata']['name']}/head", cluster["spec"]["headGroupSpec"]["template"]["spec"])
        )
        for group in cluster["spec"].get("workerGroupSpecs", []):
            owner = f"RayCluster/{cluster['metadata']['name']}/{group['groupName']}"
            specs.append((owner, group["template"]["spec"]))
    return specs
