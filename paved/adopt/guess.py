"""Answers an existing repository already gives: name, owner, description, Python, port.

Read from the answers a copier or cruft template recorded (`.copier-answers.yml`,
`.cruft.json`: for the questions of the same name, these win), `pyproject.toml`
(`[project]` name, description, requires-python), `.python-version`,
`CODEOWNERS` (the owner of `*`), `catalog-info.yaml` (`spec.owner`), the
`Dockerfile` (`EXPOSE`) and the folder's name. Every
guess is shaped to pass the bundled catalog's validators (a DNS-1123 name, an
offered Python); what cannot be shaped is left out and asked (or defaulted).
Pure reads: nothing is run.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paved import yaml
from paved.errors import InputError
from paved.questions import Question

_CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
_OWNER = re.compile(
    r"^@?([A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/)?[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$")


def guess_answers(root: Path, questions: tuple[Question, ...]) -> dict[str, Any]:
    """What the repository at `root` tells about the questions the catalog asks."""
    project = _pyproject(root)
    found: dict[str, Any] = {
        "service_name": _service_name(str(project.get("name") or root.resolve().name)),
        "description": _one_line(project.get("description")),
        "owner": _owner(root),
        "python_version": _python(root, project),
        "http_port": _port(root),
    }
    found.update(recorded_answers(root))
    asked = {question.name: question for question in questions}
    guesses: dict[str, Any] = {}
    for name, value in found.items():
        question = asked.get(name)
        if question is None or value in (None, ""):
            continue
        if question.choices and value not in [str(choice) for choice in question.choices]:
            continue
        guesses[name] = value
    return guesses


def recorded_answers(root: Path) -> dict[str, Any]:
    """The answers a copier (`.copier-answers.yml`) or cruft (`.cruft.json`) template left,
    without their private `_` keys."""
    answers: dict[str, Any] = {}
    copier_file = root / ".copier-answers.yml"
    if copier_file.is_file():
        try:
            data = yaml.plain(yaml.load(copier_file))
        except InputError:
            data = None
        if isinstance(data, dict):
            answers.update(data)
    cruft_file = root / ".cruft.json"
    if cruft_file.is_file() and cruft_file.stat().st_size < 1_000_000:
        try:
            data = json.loads(cruft_file.read_text(encoding="utf-8", errors="replace"))
        except ValueError:
            data = None
        context = data.get("context", {}).get("cookiecutter", {}) if isinstance(data, dict) \
            else {}
        if isinstance(context, dict):
            answers.update(context)
    return {str(key): value for key, value in answers.items()
            if not str(key).startswith("_") and isinstance(value, str | int | float | bool)}


def _pyproject(root: Path) -> Mapping[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file() or path.stat().st_size > 1_000_000:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except tomllib.TOMLDecodeError:
        return {}
    project = data.get("project")
    return project if isinstance(project, dict) else {}


def _service_name(raw: str) -> str | None:
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    name = re.sub(r"-+", "-", name)
    if not name or not name[0].isalpha():
        return None
    return name[:63].rstrip("-")


def _one_line(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
        return None
    return value.strip()[:200]


def _owner(root: Path) -> str | None:
    for name in _CODEOWNERS:
        path = root / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) >= 2 and words[0] in {"*", "/*", "/**"} and _OWNER.match(words[1]):
                return words[1].removeprefix("@")
    path = root / "catalog-info.yaml"
    if path.is_file():
        try:
            documents = yaml.loads_all(path.read_text(encoding="utf-8", errors="replace"),
                                       source=str(path))
        except InputError:
            return None
        for document in documents:
            owner = (yaml.plain(document) or {}).get("spec", {}).get("owner") \
                if isinstance(yaml.plain(document), dict) else None
            if isinstance(owner, str):
                owner = owner.removeprefix("group:").split("/")[-1]
                if _OWNER.match(owner):
                    return owner
    return None


def _python(root: Path, project: Mapping[str, Any]) -> str | None:
    pinned = root / ".python-version"
    if pinned.is_file():
        match = re.match(r"\s*(3\.\d+)", pinned.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
    requires = project.get("requires-python")
    if isinstance(requires, str):
        match = re.search(r">=\s*(3\.\d+)", requires)
        if match:
            return match.group(1)
    return None


def _port(root: Path) -> int | None:
    path = root / "Dockerfile"
    if not path.is_file():
        return None
    match = re.search(r"^\s*EXPOSE\s+(\d+)", path.read_text(encoding="utf-8", errors="replace"),
                      re.MULTILINE)
    port = int(match.group(1)) if match else None
    return port if port is not None and 1024 <= port <= 65535 else None
