"""Render the chart once per values set per session: defaults and each charts/microdrama/ci/*.yaml."""

from __future__ import annotations

import pytest

from tests.chart.render import CI_VALUES, Rendered, render, values_file

VALUE_SETS = ["default", *(path.stem for path in CI_VALUES)]


@pytest.fixture(scope="session")
def renders() -> dict[str, Rendered]:
    sets = {"default": render({}, "default")}
    for path in CI_VALUES:
        sets[path.stem] = render(values_file(path), path.stem)
    return sets


@pytest.fixture(params=VALUE_SETS)
def rendered(request: pytest.FixtureRequest, renders: dict[str, Rendered]) -> Rendered:
    return renders[request.param]
