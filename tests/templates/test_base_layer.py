"""The base layer as its readers read it: the SLO file, CODEOWNERS and catalog-info.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved import yaml
from paved.create import create_service


@pytest.mark.parametrize(("percent", "target"), [
    (99.9, 0.999), (99.99, 0.9999), (99.95, 0.9995), (90, 0.9), (99.999, 0.99999),
])
def test_slo_targets_are_the_objective_without_float_noise(
        tmp_path: Path, percent: float, target: float) -> None:
    dest = tmp_path / "svc"
    create_service("svc", dest=dest, data={"slo_availability": percent}, use_git=False)
    text = (dest / "slo.yaml").read_text()
    availability = yaml.loads_all(text)[0]
    (objective,) = availability["spec"]["objectives"]
    assert objective["target"] == target
    assert f"      target: {target}\n" in text
