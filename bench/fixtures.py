"""The same work for every side: catalogs and templates built from identical content."""

from __future__ import annotations

import shutil
import subprocess
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


def flat_copier_template(dest: Path) -> Path:
    """The python-service golden path as one plain copier template, from the same files.

    Layers never write each other's files, so their union is the same tree; the
    variables paved adds to a render become hidden questions with fixed values.
    """
    yaml = YAML()
    manifest = yaml.load((BUNDLED / "paved-catalog.yml").read_text())
    layers = list(manifest["golden_paths"]["python-service"]["layers"])
    dest.mkdir(parents=True)
    shutil.copytree(BUNDLED / "partials", dest / "partials")
    for layer in layers:
        shutil.copytree(BUNDLED / manifest["layers"][layer]["path"], dest / "template",
                        dirs_exist_ok=True)
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
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not set(path.relative_to(root).parts) & set(ignore)
    }
