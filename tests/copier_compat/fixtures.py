"""Copier templates written for the differential suite: each exercises a few copier
features, has at least two tags and a real change between them.

A fixture is a list of releases (files written or removed, then a tag), the
answers a user gives on `new`, and the edits the team makes to its project
before updating. `build` turns one into a git repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import build_file_tree, commit_all, git

#: The answers file as copier's documentation tells template authors to write it.
ANSWERS_TEMPLATE = ("# Changes here will be overwritten by Copier\n"
                    "{{ _copier_answers|to_nice_yaml -}}\n")


@dataclass(frozen=True)
class Release:
    tag: str
    files: Mapping[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)  # path -> link target
    executables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fixture:
    name: str
    features: str  # what it exercises, for test ids and failure messages
    releases: tuple[Release, ...]
    answers: Mapping[str, Any] = field(default_factory=dict)
    edits: Mapping[str, str | None] = field(default_factory=dict)  # None deletes
    trust: bool = False
    update_data: Mapping[str, Any] = field(default_factory=dict)
    # Files copier's update gets wrong and paved gets right (docs/copier.md): copier
    # renders the old and new versions in temporary folders, so `_folder_name` there
    # is a temporary name and a file using it always conflicts.
    better_on_update: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(release.tag for release in self.releases)


def build(fixture: Fixture, root: Path) -> Path:
    """The fixture as a git repository at `root`, one commit and tag per release."""
    root.mkdir(parents=True)
    for release in fixture.releases:
        build_file_tree(root, release.files)
        for name in release.removed:
            (root / name).unlink()
        for name, target in release.links.items():
            link = root / name
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink():
                link.unlink()
            link.symlink_to(target)
        for name in release.executables:
            os.chmod(root / name, 0o755)
        commit_all(root, f"release {release.tag}", tag=release.tag)
    return root


def edit(project: Path, edits: Mapping[str, str | None]) -> None:
    """The team's edits, committed as a team would."""
    for name, text in edits.items():
        path = project / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "team edits")


CONTEXT = Fixture(
    name="context",
    features="_copier_answers (_commit, _src_path), _copier_conf, _folder_name, "
             "templated names, conditional files, merge and conflict on update",
    releases=(
        Release("v1.0.0", files={
            "copier.yml": "project:\n  type: str\n  default: demo\n"
                          "with_docs:\n  type: bool\n  default: true\n",
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            "README.md.jinja": "# {{ project }}\n\n"
                               "commit: {{ _copier_answers._commit }}\n"
                               "source: {{ _copier_answers._src_path }}\n"
                               "hash: {{ _copier_conf.vcs_ref_hash }}\n"
                               "answers: {{ _copier_conf.answers_file }}\n"
                               "line a\nline b\nline c\n",
            "notes.txt": "one\ntwo\nthree\n",
            "folder.txt.jinja": "folder: {{ _folder_name }}\n",
            "conflict.txt": "alpha\n",
            "old.txt": "removed in v2\n",
            "{{ project }}/module.py.jinja": "NAME = {{ project | tojson }}\n",
            "{% if with_docs %}docs{% endif %}/index.md.jinja": "docs of {{ project }}\n",
        }),
        Release("v2.0.0", files={
            "copier.yml": "project:\n  type: str\n  default: demo\n"
                          "with_docs:\n  type: bool\n  default: true\n"
                          "license:\n  type: str\n  default: MIT\n",
            "README.md.jinja": "# {{ project }}\n\n"
                               "commit: {{ _copier_answers._commit }}\n"
                               "source: {{ _copier_answers._src_path }}\n"
                               "hash: {{ _copier_conf.vcs_ref_hash }}\n"
                               "answers: {{ _copier_conf.answers_file }}\n"
                               "line A\nline b\nline c\n",
            "notes.txt": "one\ntwo\nTHREE\n",
            "conflict.txt": "beta\n",
            "LICENSE.jinja": "{{ license }}\n",
        }, removed=("old.txt",)),
    ),
    answers={"project": "shop"},
    edits={"notes.txt": "ONE\ntwo\nthree\n", "conflict.txt": "gamma\n", "team.txt": "ours\n"},
    better_on_update=("folder.txt",),
)

LAYOUT = Fixture(
    name="layout",
    features="_subdirectory, _templates_suffix, _answers_file, _envops, _exclude "
             "(templated on _copier_operation), _skip_if_exists",
    releases=(
        Release("1.0.0", files={
            "copier.yml": (
                "_subdirectory: template\n"
                "_templates_suffix: .tmpl\n"
                "_answers_file: .answers/compat.yml\n"
                "_envops:\n"
                "  block_start_string: '[%'\n  block_end_string: '%]'\n"
                "  variable_start_string: '[['\n  variable_end_string: ']]'\n"
                "_exclude:\n  - '*.bak'\n"
                "  - \"[% if _copier_operation == 'update' %]seed.txt[% endif %]\"\n"
                "_skip_if_exists:\n  - settings.ini\n"
                "name:\n  type: str\n  default: layout\n"),
            "README.md": "outside the subdirectory: never rendered\n",
            "template/[[ _copier_conf.answers_file ]].tmpl":
                "[[ _copier_answers|to_nice_yaml -]]\n",
            "template/app.txt.tmpl": "app [[ name ]] {{ not jinja here }}\n",
            "template/plain.jinja": "{{ copied as is: not the suffix }}\n",
            "template/seed.txt": "seeded once\n",
            "template/ignored.bak": "excluded\n",
            "template/settings.ini.tmpl": "[app]\nname = [[ name ]]\n",
        }),
        Release("1.1.0", files={
            "template/app.txt.tmpl": "app [[ name ]] v1.1 {{ not jinja here }}\n",
            "template/seed.txt": "seeded once, v1.1\n",
            "template/settings.ini.tmpl": "[app]\nname = [[ name ]]\nlevel = 2\n",
        }),
    ),
    answers={"name": "inventory"},
    edits={"settings.ini": "[app]\nname = inventory\ncolour = blue\n",
           "seed.txt": "the team's seed\n"},
)

QUESTIONS = Fixture(
    name="questions",
    features="multiselect, choice labels, secret, when (conditional and computed), "
             "validator, int/bool/yaml/json types, defaults from answers and "
             "_copier_operation, a question added by an update",
    releases=(
        Release("v1.0.0", files={
            "copier.yml": (
                "project:\n  type: str\n  default: demo\n"
                "  validator: \"{% if not project.isidentifier() %}not an identifier"
                "{% endif %}\"\n"
                "features:\n  type: str\n  multiselect: true\n"
                "  choices: [api, cli, docs]\n  default: [api]\n"
                "licence:\n  type: str\n  choices:\n    MIT License: mit\n"
                "    Apache License 2.0: apache\n  default: mit\n"
                "token:\n  type: str\n  secret: true\n  default: changeme\n"
                "db_name:\n  type: str\n  default: \"{{ project }}_db\"\n"
                "  when: \"{{ 'api' in features }}\"\n"
                "slug:\n  default: \"{{ project | lower }}-svc\"\n  when: false\n"
                "port:\n  type: int\n  default: 8000\n"
                "debug:\n  type: bool\n  default: false\n"
                "tags:\n  type: yaml\n  default: [a, b]\n"
                "settings:\n  type: json\n  default: '{\"x\": 1}'\n"
                "made_by:\n  type: str\n"
                "  default: \"{{ 'update' if _copier_operation == 'update' else 'copy' }}\"\n"),
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            "summary.txt.jinja": (
                "project={{ project }}\nfeatures={{ features | join(',') }}\n"
                "licence={{ licence }}\n"
                "db={{ db_name | default('none') }}\nslug={{ slug }}\nport={{ port + 1 }}\n"
                "debug={{ debug }}\ntags={{ tags | join('+') }}\nx={{ settings.x }}\n"
                "made_by={{ made_by }}\n"),
        }),
        Release("v2.0.0", files={
            "copier.yml": (
                "project:\n  type: str\n  default: demo\n"
                "features:\n  type: str\n  multiselect: true\n"
                "  choices: [api, cli, docs, worker]\n  default: [api]\n"
                "licence:\n  type: str\n  choices:\n    MIT License: mit\n"
                "    Apache License 2.0: apache\n  default: mit\n"
                "token:\n  type: str\n  secret: true\n  default: changeme\n"
                "db_name:\n  type: str\n  default: \"{{ project }}_db\"\n"
                "  when: \"{{ 'api' in features }}\"\n"
                "slug:\n  default: \"{{ project | lower }}-service\"\n  when: false\n"
                "port:\n  type: int\n  default: 9000\n"
                "debug:\n  type: bool\n  default: false\n"
                "tags:\n  type: yaml\n  default: [a, b]\n"
                "settings:\n  type: json\n  default: '{\"x\": 1}'\n"
                "made_by:\n  type: str\n"
                "  default: \"{{ 'update' if _copier_operation == 'update' else 'copy' }}\"\n"
                "region:\n  type: str\n  choices: [eu, us]\n  default: eu\n"),
            "summary.txt.jinja": (
                "project={{ project }}\nfeatures={{ features | join(',') }}\n"
                "licence={{ licence }}\n"
                "db={{ db_name | default('none') }}\nslug={{ slug }}\nport={{ port + 1 }}\n"
                "debug={{ debug }}\ntags={{ tags | join('+') }}\nx={{ settings.x }}\n"
                "made_by={{ made_by }}\nregion={{ region }}\n"),
        }),
    ),
    answers={"project": "Shop", "features": ["cli", "api"], "licence": "apache",
             "token": "t0ps3cret", "port": 8080, "debug": True},
    edits={"team.txt": "ours\n"},
)

EXTENSIONS = Fixture(
    name="extensions",
    features="_jinja_extensions (an installed extension, file extensions through "
             "copier-template-extensions, a ContextHook) in questions and files",
    trust=True,
    releases=(
        Release("v1.0.0", files={
            "copier.yml": (
                "_jinja_extensions:\n  - jinja2.ext.do\n"
                "  - copier_template_extensions.TemplateExtensionLoader\n"
                "  - extensions.py:Shout\n  - extensions.py:Context\n"
                "project:\n  type: str\n  default: demo\n"
                "banner:\n  type: str\n  default: \"{{ project | shout }}\"\n"
                "items:\n  type: yaml\n"
                "  default: \"{% set found = [] %}{% do found.append(project) %}{{ found }}\"\n"),
            "extensions.py": (
                "from jinja2.ext import Extension\n"
                "from copier_template_extensions import ContextHook\n\n\n"
                "class Shout(Extension):\n"
                "    def __init__(self, environment):\n"
                "        super().__init__(environment)\n"
                "        environment.filters['shout'] = lambda text: str(text).upper() + '!'\n\n\n"
                "class Context(ContextHook):\n"
                "    def hook(self, context):\n"
                "        return {'hooked': 'from the hook'}\n"),
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            "out.txt.jinja": "{{ banner }} {{ items }} {{ hooked }}\n",
        }),
        Release("v1.1.0", files={
            "out.txt.jinja": "{{ banner }} {{ items }} {{ hooked }} {{ 'v1.1' | shout }}\n",
        }),
    ),
    answers={"project": "shop"},
    edits={"team.txt": "ours\n"},
)

TASKS = Fixture(
    name="tasks",
    features="_tasks (after the render, in the project, once), _migrations "
             "(version-gated, before and after)",
    trust=True,
    releases=(
        Release("v1.0.0", files={
            "copier.yml": (
                "_tasks:\n  - \"echo {{ project }} > task-output.txt\"\n"
                "  - command: [sh, -c, 'test -f README.md && echo rendered > seen-by-task.txt']\n"
                "project:\n  type: str\n  default: demo\n"),
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            "README.md.jinja": "# {{ project }}\n",
        }),
        Release("v2.0.0", files={
            "copier.yml": (
                "_tasks:\n  - \"echo {{ project }} > task-output.txt\"\n"
                "  - command: [sh, -c, 'test -f README.md && echo rendered > seen-by-task.txt']\n"
                "_migrations:\n"
                "  - version: v2.0.0\n"
                "    command: \"echo {{ _version_from }} {{ _version_to }} > migrated.txt\"\n"
                "  - version: v2.0.0\n"
                "    command: \"cat README.md > before-migration.txt\"\n"
                "    when: \"{{ _stage == 'before' }}\"\n"
                "  - version: v9.0.0\n"
                "    command: \"echo never > too-new.txt\"\n"
                "project:\n  type: str\n  default: demo\n"),
            "README.md.jinja": "# {{ project }} v2\n",
        }),
    ),
    answers={"project": "shop"},
    edits={"team.txt": "ours\n"},
)

FILES = Fixture(
    name="files",
    features="_preserve_symlinks, executable bits, _external_data, binary files, "
             "archive-only attributes (export-subst, export-ignore)",
    releases=(
        Release("v1.0.0", files={
            "copier.yml": (
                "_preserve_symlinks: true\n"
                "_external_data:\n  parent: .parent-answers.yml\n"
                "project:\n  type: str\n  default: demo\n"),
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            "README.md.jinja": "# {{ project }}\nteam: "
                               "{{ _external_data.parent.team | default('none') }}\n",
            "run.sh": "#!/bin/sh\necho run\n",
            "docs/guide.md": "guide\n",
            # copier clones: a checkout ignores what only `git archive` applies.
            ".gitattributes": "version.txt export-subst\nlocal.txt export-ignore\n",
            "version.txt": "$Format:%H$\n",
            "local.txt": "in every checkout\n",
        }, links={"GUIDE.md": "docs/guide.md"}, executables=("run.sh",)),
        Release("v2.0.0", files={
            "run.sh": "#!/bin/sh\necho run v2\n",
            "docs/manual.md": "manual\n",
        }, links={"GUIDE.md": "docs/manual.md"}),
    ),
    answers={"project": "shop"},
    edits={".parent-answers.yml": "team: payments\n"},
)

EOL = Fixture(
    name="eol",
    features="checkout conversions: .gitattributes text eol=crlf, a file kept LF "
             "(-text), a binary file, merge and conflict on update",
    releases=(
        Release("v1.0.0", files={
            "copier.yml": "project:\n  type: str\n  default: demo\n",
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            ".gitattributes": "* text eol=crlf\nraw.txt -text\n*.bin binary\n",
            "README.md.jinja": "# {{ project }}\n\nline a\nline b\nline c\n",
            "notes.txt": "one\ntwo\nthree\n",
            "conflict.txt": "alpha\n",
            "raw.txt": "kept as committed\n",
            "data.bin": "bin\nary\n",
        }),
        Release("v2.0.0", files={
            "README.md.jinja": "# {{ project }}\n\nline A\nline b\nline c\n",
            "notes.txt": "one\ntwo\nTHREE\n",
            "conflict.txt": "beta\n",
            "raw.txt": "kept as committed, v2\n",
            "data.bin": "bin\nary v2\n",
            "added.txt": "new in v2\n",
        }),
    ),
    answers={"project": "shop"},
    edits={"notes.txt": "ONE\r\ntwo\r\nthree\r\n", "conflict.txt": "gamma\r\n",
           "team.txt": "ours\r\n"},
)

#: Every fixture whose new and update outputs must equal copier's.
IDENTICAL = (CONTEXT, LAYOUT, QUESTIONS, EXTENSIONS, TASKS, FILES, EOL)
