"""Validate custom resources against the CRD schemas kept in tests/chart/crds/ (see each file's header).

A CRD's openAPIV3Schema prunes unknown fields; the API server's strict field validation (kubectl's
default) rejects them instead. The check here does the same: every object schema that lists
properties, and neither allows extra ones nor preserves unknown fields, gets additionalProperties: false.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRDS = Path(__file__).resolve().parent / "crds"


def _strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


@cache
def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        schemas[(f"{crd['group']}/{crd['version']}", crd["kind"])] = _strict(crd["openAPIV3Schema"])
    return schemas


def has_schema(manifest: dict[str, Any]) -> bool:
    return (manifest["apiVersion"], manifest["kind"]) in _schemas()


def validate(manifest: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError naming the first offending field."""
    schema = _schemas()[(manifest["apiVersion"], manifest["kind"])]
    jsonschema.Draft7Validator(schema).validate(manifest)
