"""Small catalogs for the template-authoring tests, written as file trees."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.helpers import build_file_tree

COPIER = """\
_subdirectory: "{{ paved_layer }}"
_templates_suffix: .jinja

service_name:
  type: str
  help: Service name.
  default: demo
  validator: "{% if service_name != service_name | lower %}must be lowercase{% endif %}"

port:
  type: int
  help: Port.
  default: 8080
  choices: [8080, 9000]
"""

MANIFEST = """\
# A small catalog for tests.
name: small
golden_paths:
  svc:
    description: A small service
    owner: team-a
    layers: [base, app]
    test_matrix:
      defaults: {}
      other-port: {port: 9000}
    test_command: test -s README.md
layers:
  base:
    description: README
    owner: team-a
    path: layers/base
  app:
    description: App config
    owner: team-a
    path: layers/app
"""

FILES = {
    "copier.yml": COPIER,
    "paved-catalog.yml": MANIFEST,
    "partials/common.jinja": '{%- macro title(name) -%}# {{ name }}{%- endmacro -%}\n',
    "layers/base/README.md.jinja": ('{% from "partials/common.jinja" import title -%}\n'
                                    "{{ title(service_name) }}\n\nGolden path "
                                    "{{ paved_golden_path }}.\n"),
    "layers/app/config/{{ service_name }}.env.jinja": "PORT={{ port }}\n",
    "layers/app/static.txt": "{{ not rendered }}\n",
}


def small_catalog(root: Path, changes: Mapping[str, str] | None = None) -> Path:
    """The small catalog under `root`, with `changes` (path -> text) written over it."""
    root.mkdir(parents=True, exist_ok=True)
    return build_file_tree(root, {**FILES, **(changes or {})})


PLAIN_COPIER = {
    "copier.yml": ("project:\n  type: str\n  help: Project name.\n  default: demo\n"
                   "_subdirectory: template\n"),
    "template/README.md.jinja": "# {{ project }}\n",
}
