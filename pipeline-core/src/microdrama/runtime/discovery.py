"""Services are separate packages; they register through the `microdrama.services` entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

from microdrama.runtime.service import Service

GROUP = "microdrama.services"
PIPELINE_ORDER = ("studio", "script", "character", "generation", "finishing", "audio", "qc", "delivery")


def load_services(names: list[str] | None = None) -> list[Service]:
    found: dict[str, Service] = {}
    for ep in entry_points(group=GROUP):
        if names and ep.name not in names:
            continue
        service = ep.load()
        if not isinstance(service, Service):
            raise TypeError(f"entry point {ep.name} is not a Service")
        found[service.name] = service
    wanted = names or [n for n in PIPELINE_ORDER if n in found]
    missing = [n for n in wanted if n not in found]
    if missing:
        installed = ", ".join(sorted(ep.name for ep in entry_points(group=GROUP)))
        raise LookupError(f"services not installed: {', '.join(missing)} (installed: {installed})")
    return [found[n] for n in wanted]
