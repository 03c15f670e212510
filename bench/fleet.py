"""The fleet case's fixtures: N golden-path services and one catalog release for them all.

Each service is made by `paved new service` from a git copy of the bundled
catalog at v0.1.0 and gets a bare remote (what `paved fleet update` clones and
fetches). The first repos also get a copier twin: the same answers rendered by
`copier copy` from the flat copier template of the same files, committed. Then
v0.2.0 is released to both templates: the same files edited and added
(`release_v2`), so every repo of either side has the same update to make.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fixtures import (
    BOOKKEEPING,
    commit_and_tag,
    commit_project,
    flat_copier_template,
    git,
    paved_catalog,
    tree,
)
from ruamel.yaml import YAML

OWNER = "team-fleet"
OLD, NEW = "0.1.0", "0.2.0"
#: The release, as files of the base layer: path -> text appended (a new file when absent).
CHANGE = {
    "README.md.jinja": "\nOn-call rota: see docs/runbook.md.\n",
    "docs/runbook.md.jinja": "\n## Paging\n\nPage the owning team through the rota.\n",
    "docs/fleet-notes.md": "# Fleet notes\n\nUpdated by the platform team.\n",
}


def name(index: int) -> str:
    return f"svc{index:03d}"


@dataclass(frozen=True)
class Fleet:
    listed: Path  # repos.txt: one bare remote a line, in fleet order
    copier_repos: tuple[Path, ...]  # committed copier twins of the first repos
    before: dict[str, dict[str, bytes]]  # service -> its files before the update


def build(root: Path, count: int, copier_count: int, run: Callable[..., None],
          paved: Path, copier: Path) -> Fleet:
    """`count` paved services and `copier_count` copier twins, both templates at v0.2.0."""
    catalog = paved_catalog(root / "catalog")
    flat = flat_copier_template(root / "flat", answers_file=True)
    checkouts, remotes, twins = root / "checkouts", root / "remotes", root / "copier"
    for folder in (checkouts, remotes, twins):
        folder.mkdir(parents=True)
    before = {}
    for index in range(count):
        service = checkouts / name(index)
        run(paved, "new", "service", name(index), "--dest", service, "--catalog", catalog,
            "--defaults", "--data", f"owner={OWNER}")
        git(checkouts, "clone", "--quiet", "--bare", name(index),
            str(remotes / f"{name(index)}.git"))
        before[name(index)] = tree(service, ignore=BOOKKEEPING)
    for index in range(copier_count):
        twin = twins / name(index)
        run(copier, "copy", "--quiet", "--defaults", "--data", f"service_name={name(index)}",
            "--data", f"owner={OWNER}", "--vcs-ref", f"v{OLD}", flat, twin)
        commit_project(twin)
    release_v2(catalog / "layers" / "base", catalog)
    release_v2(flat / "template", flat, copier_config=flat / "copier.yml")
    listed = root / "repos.txt"
    listed.write_text("".join(f"remotes/{name(index)}.git\n" for index in range(count)))
    return Fleet(listed, tuple(twins / name(index) for index in range(copier_count)), before)


def release_v2(layer: Path, repo: Path, copier_config: Path | None = None) -> None:
    """CHANGE applied to `layer` (the base layer's files), tagged v0.2.0 in `repo`.

    The flat copier template carries the catalog version as a hidden answer
    (in `copier_config`): it moves to 0.2.0 as paved's tag does.
    """
    for path, text in CHANGE.items():
        target = layer / path
        target.write_text((target.read_text() if target.exists() else "") + text)
    if copier_config is not None:
        yaml = YAML()
        data = yaml.load(copier_config.read_text())
        data["paved_catalog_version"]["default"] = NEW
        with copier_config.open("w") as stream:
            yaml.dump(data, stream)
    commit_and_tag(repo, f"v{NEW}")


def changed_files(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> dict[str, str]:
    """Paths added, removed or rewritten between two trees -> sha-1 of the new bytes
    ("removed" for a removed path), in path order."""
    return {path: hashlib.sha1(after[path]).hexdigest() if path in after else "removed"
            for path in sorted(set(before) | set(after)) if before.get(path) != after.get(path)}


@dataclass(frozen=True)
class RepoOutcome:
    """What an update did to one repo, bookkeeping left out: the version it recorded
    and the files it changed (with their new content)."""

    version: str
    changed: dict[str, str]


def paved_outcomes(workspaces: Path, before: Mapping[str, Mapping[str, bytes]],
                   count: int) -> dict[str, RepoOutcome]:
    """The first `count` services as `paved fleet update` left them in its workspaces."""
    outcomes = {}
    for index in range(count):
        clone = next(workspaces.glob(f"{name(index)}-*"))
        record = YAML(typ="safe").load((clone / ".paved.yml").read_text())
        outcomes[name(index)] = RepoOutcome(str(record["version"]), changed_files(
            before[name(index)], tree(clone, ignore=BOOKKEEPING)))
    return outcomes


def copier_outcomes(repos: Sequence[Path],
                    before: Mapping[str, Mapping[str, bytes]]) -> dict[str, RepoOutcome]:
    """The copier twins as `copier update` left them."""
    outcomes = {}
    for repo in repos:
        answers = YAML(typ="safe").load((repo / ".copier-answers.yml").read_text())
        outcomes[repo.name] = RepoOutcome(str(answers["_commit"]).removeprefix("v"),
                                          changed_files(before[repo.name],
                                                        tree(repo, ignore=BOOKKEEPING)))
    return outcomes


def shell_loop(command: Sequence[str], repos: Sequence[Path]) -> list[str]:
    """`sh -c` running `command REPO` for each repo in turn, stopping at the first failure."""
    words = " ".join(shlex.quote(str(part)) for part in command)
    listed = " ".join(shlex.quote(str(repo)) for repo in repos)
    return ["sh", "-c", f'for repo in {listed}; do {words} "$repo" || exit 1; done']


def growth(sizes: Sequence[int], seconds: Sequence[float]) -> float:
    """Seconds each repo beyond the smallest fleet adds: the slope from smallest to largest."""
    if len(sizes) != len(seconds) or len(sizes) < 2 or sizes[-1] == sizes[0]:
        raise ValueError("growth needs at least two fleet sizes and one time for each")
    return (seconds[-1] - seconds[0]) / (sizes[-1] - sizes[0])
