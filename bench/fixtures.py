"""The same work for every side: catalogs and templates built from identical content.

Two kinds of fixture:

- the bundled python-service golden path, as a paved catalog and as one flat
  copier template (`paved new` against `copier copy`);
- a synthetic template of N files at v1.0.0 and v2.0.0, written three ways from
  one description (a copier template, a paved catalog that is a plain copier
  template, a cookiecutter template for cruft), and a project generated from
  v1.0.0 by each tool with the same local edits (`update` cases).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "templates"
ANSWERS = {"service_name": "payments-api", "owner": "team-payments"}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def commit_and_tag(repo: Path, tag: str) -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", tag)
    git(repo, "tag", tag)


def paved_catalog(dest: Path) -> Path:
    """The bundled catalog as a tagged git repository."""
    shutil.copytree(BUNDLED, dest)
    commit_and_tag(dest, "v0.1.0")
    return dest


def flat_copier_template(dest: Path, answers_file: bool = False) -> Path:
    """The python-service golden path as one plain copier template, from the same files.

    Layers never write each other's files, so their union is the same tree; the
    variables paved adds to a render become hidden questions with fixed values.
    With `answers_file`, projects record their answers for `copier update`.
    """
    yaml = YAML()
    manifest = yaml.load((BUNDLED / "paved-catalog.yml").read_text())
    layers = list(manifest["golden_paths"]["python-service"]["layers"])
    dest.mkdir(parents=True)
    shutil.copytree(BUNDLED / "partials", dest / "partials")
    for layer in layers:
        shutil.copytree(BUNDLED / manifest["layers"][layer]["path"], dest / "template",
                        dirs_exist_ok=True)
    if answers_file:
        (dest / "template" / "{{ _copier_conf.answers_file }}.jinja").write_text(
            "{{ _copier_answers|to_nice_yaml }}")
    config = yaml.load((BUNDLED / "copier.yml").read_text())
    config["_subdirectory"] = "template"
    del config["paved_layer"]
    hidden = {"paved_catalog_version": "0.1.0", "paved_golden_path": "python-service",
              "paved_layers": layers}
    for name, value in hidden.items():
        config[name] = {"type": "yaml" if isinstance(value, list) else "str", "default": value,
                        "when": False}
    with (dest / "copier.yml").open("w") as stream:
        yaml.dump(config, stream)
    commit_and_tag(dest, "v0.1.0")
    return dest


def tree(root: Path, ignore: tuple[str, ...] = (".git", ".paved.yml")) -> dict[str, bytes]:
    """Every file under `root` (path -> bytes), leaving out paths with an `ignore` part."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not set(path.relative_to(root).parts) & set(ignore)
    }


# --- the synthetic template of the update cases ---

#: Each tool's own bookkeeping, left out when outcomes are compared.
BOOKKEEPING = (".git", ".paved.yml", ".copier-answers.yml", ".cruft.json")
NAME = "demo"  # the service_name answer of every synthetic project
EDITED_EVERY = 3  # the change edits modules 0, 3, 6 … (EDITS of them, whatever the size)
EDITS = 10
LOCAL_README = "# demo\n\nintro\nusage, by the team\n"


@dataclass(frozen=True)
class Flavour:
    """How one tool spells the same template: variable syntax, layout, bookkeeping."""

    name: str
    var: Callable[[str], str]  # question name -> Jinja expression
    prefix: str  # folder of the project's files inside the template
    suffix: str  # template file suffix
    config: Callable[[bool], dict[str, str]]  # v2? -> config files


def _copier_config(v2: bool, answers_file: bool) -> dict[str, str]:
    text = "service_name:\n  type: str\n  default: svc\n"
    if v2:
        text += "port:\n  type: int\n  default: 8000\n"
    files = {"copier.yml": text}
    if answers_file:
        files["{{ _copier_conf.answers_file }}.jinja"] = "{{ _copier_answers|to_nice_yaml }}"
    return files


def _cookiecutter_config(v2: bool) -> dict[str, str]:
    context = {"project_slug": NAME, "service_name": "svc", **({"port": 8000} if v2 else {})}
    return {"cookiecutter.json": json.dumps(context, indent=2) + "\n"}


COPIER = Flavour("copier", lambda name: f"{{{{ {name} }}}}", "", ".jinja",
                 lambda v2: _copier_config(v2, answers_file=True))
# paved records its answers in .paved.yml itself: the same copier template, no answers file.
PAVED = Flavour("paved", lambda name: f"{{{{ {name} }}}}", "", ".jinja",
                lambda v2: _copier_config(v2, answers_file=False))
COOKIECUTTER = Flavour("cookiecutter", lambda name: f"{{{{ cookiecutter.{name} }}}}",
                       "{{cookiecutter.project_slug}}/", "", _cookiecutter_config)


def _module(index: int, flavour: Flavour, edited: bool) -> str:
    lines = [f"module {index} of {flavour.var('service_name')}\n"]
    lines += [f"line {j} of module {index}\n" for j in range(1, 30)]
    if edited:
        lines[3] = f"line three of module {index}, changed by the template\n"
    return "".join(lines)


def _files(size: int, flavour: Flavour, v2: bool) -> dict[str, str]:
    """The template's files: `size` in all, counting the config and README."""
    modules = size - 3  # + config, README, and the answers file or the added file
    if modules < EDITED_EVERY * EDITS:
        raise ValueError(f"a synthetic template needs at least {EDITED_EVERY * EDITS + 3} files")
    edited = set(range(0, EDITED_EVERY * EDITS, EDITED_EVERY))
    files = {f"src/module_{i}.txt": _module(i, flavour, v2 and i in edited)
             for i in range(modules)}
    files["README.md"] = (f"# {flavour.var('service_name')}\n\nintro\n"
                          + ("usage, by the template\n" if v2 else "usage\n"))
    if v2:
        del files["src/module_1.txt"]  # a delete
        files["src/renamed_2.txt"] = files.pop("src/module_2.txt")  # a rename
        files["src/added.txt"] = f"port {flavour.var('port')}\n"  # an add, a new question
    tree = {f"{flavour.prefix}{name}{flavour.suffix}": text for name, text in files.items()}
    tree.update(flavour.config(v2))
    return tree


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def synthetic_template(dest: Path, size: int, flavour: Flavour) -> Path:
    """The template at v1.0.0 only; `release_v2` adds the change later."""
    dest.mkdir(parents=True)
    _write_tree(dest, _files(size, flavour, v2=False))
    commit_and_tag(dest, "v1.0.0")
    return dest


def release_v2(template: Path, size: int, flavour: Flavour) -> None:
    """The typical change: EDITS edits, an add, a delete, a rename, a new question."""
    old, new = _files(size, flavour, v2=False), _files(size, flavour, v2=True)
    for name in set(old) - set(new):
        (template / name).unlink()
    _write_tree(template, {name: text for name, text in new.items() if old.get(name) != text})
    commit_and_tag(template, "v2.0.0")


def edit_locally(project: Path) -> None:
    """The team's edits: one overlapping the template's change (a conflict), one merging
    cleanly with it, one file of their own; committed, as every tool requires."""
    (project / "README.md").write_text(LOCAL_README)
    module = project / "src" / "module_0.txt"
    module.write_text(module.read_text().replace("line 20 ", "line twenty "))
    (project / "TEAM.md").write_text("ours\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "team edits")


def commit_project(project: Path) -> None:
    """A freshly generated project's first commit (copier and cruft make none)."""
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")


# --- outcomes: what an update left, in terms every tool can be compared in ---

@dataclass(frozen=True)
class Outcome:
    """Files (path -> sha-1 of the bytes) and conflicted paths, bookkeeping left out.

    A conflicted file's content is not compared: each tool marks conflicts its own
    way (inline markers with different labels, or a `.rej` file beside it).
    """

    files: dict[str, str]
    conflicts: tuple[str, ...]


MARKER = b"<<<<<<< "


def outcome_of(project: Path) -> Outcome:
    contents = tree(project, ignore=BOOKKEEPING)
    rejected = {name.removesuffix(".rej") for name in contents if name.endswith(".rej")}
    conflicts = {name for name, data in contents.items()
                 if MARKER in data and not name.endswith(".rej")} | rejected
    files = {name: "conflict" if name in conflicts else hashlib.sha1(data).hexdigest()
             for name, data in contents.items()
             if not name.endswith((".rej", ".orig"))}
    return Outcome(files=files, conflicts=tuple(sorted(conflicts)))
