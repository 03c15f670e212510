"""Version bots and paved agree: the catalog owns the pins of managed files, services the rest."""

from __future__ import annotations

import json
import re
from pathlib import Path

from paved import paths, yaml
from paved.catalog import bundled_root, open_catalog
from paved.delivery.validators import validate_project, workflows
from tests.helpers import ROOT

# The files each Dependabot ecosystem rewrites in the directory it is given.
ECOSYSTEM_FILES = {"pip": ("pyproject.toml",), "docker": ("Dockerfile",)}


def managed_patterns() -> list[str]:
    catalog = open_catalog()
    golden_path = catalog.golden_path("python-service")
    return [pattern for layer in catalog.layers_of(golden_path) for pattern in layer.managed]


def test_the_services_bot_leaves_every_managed_file_to_paved(rendered_service: Path) -> None:
    managed = paths.matcher(managed_patterns())
    config = yaml.load(rendered_service / ".github" / "dependabot.yml")
    updates = config["updates"]
    assert [update["package-ecosystem"] for update in updates] == ["pip", "docker"]
    for update in updates:
        for name in ECOSYSTEM_FILES[update["package-ecosystem"]]:
            path = f"{update['directory'].strip('/')}/{name}".lstrip("/")
            assert (rendered_service / path).is_file(), path
            assert not managed(path), f"{path} is managed: its pins belong to the catalog"
    # Every workflow is managed: that is why github-actions is not an ecosystem here.
    assert workflows(rendered_service)
    assert all(managed(path.relative_to(rendered_service).as_posix())
               for path in workflows(rendered_service))
    assert managed(".github/dependabot.yml")


def test_the_catalogs_bot_reads_the_pins_of_every_managed_workflow_and_hook() -> None:
    catalog = bundled_root()
    report = validate_project(catalog, only={"bot-config"})
    assert (report.ran, report.findings) == (("bot-config",), ())
    config = json.loads((catalog / "renovate.json").read_text())
    pinned = {manager: [re.compile(pattern.strip("/")) for pattern
                        in config[manager]["managerFilePatterns"]]
              for manager in ("github-actions", "pre-commit")}
    templates = sorted(path.relative_to(catalog).as_posix()
                       for path in (catalog / "layers").rglob("*") if path.is_file())
    workflow_files = [p for p in templates if "/.github/workflows/" in p]
    hooks = [p for p in templates if p.endswith(".pre-commit-config.yaml.jinja")]
    assert workflow_files and hooks
    for manager, files in (("github-actions", workflow_files), ("pre-commit", hooks)):
        for file in files:
            assert any(pattern.search(file) for pattern in pinned[manager]), (manager, file)
    # The language layers' toolchain actions and hooks are pinned in their contract partials:
    # the custom managers find every pin there, with its version.
    custom = config["customManagers"]
    found = []
    for partial in sorted((catalog / "partials" / "contracts").glob("*.jinja")):
        relative = partial.relative_to(catalog).as_posix()
        text = partial.read_text()
        for manager in custom:
            assert any(re.search(p.strip("/"), relative) for p in manager["managerFilePatterns"])
            found += [(partial.stem, match["depName"], match["currentValue"])
                      for match in re.finditer(_python_regex(manager["matchStrings"][0]), text)]
    assert sorted(found) == [
        ("node-service", "actions/setup-node", "v5.0.0"),
        ("node-service", "actions/setup-python", "v6.0.0"),  # Chaos Toolkit's Python
        ("python-service", "actions/setup-python", "v6.0.0"),
        ("python-service", "astral-sh/ruff-pre-commit", "v0.8.4"),
    ]


def _python_regex(pattern: str) -> str:
    """Renovate's named groups `(?<name>…)` in Python's spelling."""
    return pattern.replace("(?<", "(?P<")


def test_the_docs_describe_the_model() -> None:
    text = (ROOT / "docs" / "fleet.md").read_text()
    assert "## Version bots" in text
