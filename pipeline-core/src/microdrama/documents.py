"""Reading and writing the stage documents kept in the object store."""

from __future__ import annotations

import hashlib
import json

import yaml

from microdrama.domain.bible import Bible, parse_bible
from microdrama.domain.shots import ShotList
from microdrama.finishing.template import FinishingTemplate, default_template, parse_template
from microdrama.layout import template_key
from microdrama.store.base import ObjectStore


def load_bible(store: ObjectStore, key: str) -> Bible:
    return parse_bible(store.get_bytes(key).decode("utf-8"), source=key)


def load_shot_list(store: ObjectStore, key: str) -> ShotList:
    return ShotList.model_validate_json(store.get_bytes(key))


def content_hash(*docs: object) -> str:
    """A short hash of JSON-able documents, to key outputs by their inputs."""
    h = hashlib.sha256()
    for doc in docs:
        dumped = doc.model_dump(mode="json") if hasattr(doc, "model_dump") else doc
        h.update(json.dumps(dumped, sort_keys=True, separators=(",", ":")).encode())
    return h.hexdigest()[:16]


def load_series_template(store: ObjectStore, tenant: str, series: str) -> FinishingTemplate:
    """The series' locked finishing template (uploaded with the bible), else the default."""
    key = template_key(tenant, series)
    if store.exists(key):
        # Validated when the series was submitted; parsed again here as the stored, locked copy.
        return parse_template(yaml.safe_load(store.get_bytes(key)), source=key)
    return default_template()
