"""The one module that touches git (through gitpython).

Errors from git are translated here into `GitError`, keeping git's own stderr.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from paved.errors import GitError

FALLBACK_BRANCH = "main"


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except GitCommandError as error:
        detail = (error.stderr or "").strip().replace("\n", " ").removeprefix("stderr: ")
        detail = detail.strip("' ")
        raise GitError(f"{action} failed: {detail or error}") from error
    except (InvalidGitRepositoryError, NoSuchPathError) as error:
        raise GitError(f"{action} failed: not a git repository: {error}") from error


def is_repo_root(path: Path) -> bool:
    """True when `path` is the top of a git work tree or a bare repository."""
    try:
        repo = git.Repo(path)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return False
    if repo.bare:
        return True
    return Path(repo.working_tree_dir or "").resolve() == path.resolve()


def default_branch() -> str:
    """The user's `init.defaultBranch`, or `main` when it is not configured."""
    try:
        return str(git.Git().config("--get", "init.defaultBranch")).strip() or FALLBACK_BRANCH
    except GitCommandError:
        return FALLBACK_BRANCH


def init_and_commit(path: Path, message: str) -> str:
    """Make `path` a git repository holding all its files in one commit; return its sha."""
    with _translated(f"git init in {path}"):
        repo = git.Repo.init(path, initial_branch=default_branch())
        repo.git.add("--all", "--force")
        repo.git.commit("--no-verify", "--quiet", "-m", message, env=_identity_env(repo))
        return str(repo.head.commit.hexsha)


def _identity_env(repo: git.Repo) -> dict[str, str]:
    """Fall back to a paved identity only where the user has none configured."""
    reader = repo.config_reader()
    env: dict[str, str] = {}
    if not reader.has_option("user", "name"):
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "paved"
    if not reader.has_option("user", "email"):
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "paved@localhost"
    return env


def tags(path: Path) -> list[str]:
    """Every tag name of the repository at `path`."""
    with _translated(f"listing tags of {path}"):
        return [tag.name for tag in git.Repo(path).tags]


def resolve(path: Path, ref: str) -> str:
    """The commit sha that `ref` names in the repository at `path`."""
    with _translated(f"resolving {ref} in {path}"):
        return str(git.Repo(path).commit(ref).hexsha)


def export_tree(path: Path, ref: str, dest: Path) -> None:
    """Write the files of `ref` into `dest` (no .git); links may not leave `dest`."""
    with _translated(f"reading {ref} from {path}"):
        stream = io.BytesIO()
        git.Repo(path).archive(stream, treeish=ref, format="tar")
    stream.seek(0)
    with tarfile.open(fileobj=stream) as archive:
        try:
            # The "data" filter refuses absolute paths, `..` and links pointing outside.
            archive.extractall(dest, filter="data")
        except tarfile.FilterError as error:
            raise GitError(f"{ref} of {path} holds an unsafe path: {error}") from error


def mirror(url: str, dest: Path) -> bool:
    """Clone `url` as a bare mirror into `dest`, or fetch into an existing one.

    Returns False when the remote could not be reached but a cached mirror exists,
    so that callers can carry on offline with what the cache holds.
    """
    if dest.exists():
        try:
            with _translated(f"fetching {url}"):
                git.Repo(dest).git.fetch("--quiet", "--prune", "--tags", "origin",
                                         "+refs/heads/*:refs/heads/*")
        except GitError:
            return False
        return True
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with _translated(f"cloning {url}"):
            git.Repo.clone_from(url, partial, bare=True, multi_options=["--quiet"])
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return True


def work_tree_root(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None outside any."""
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None
    return Path(repo.working_tree_dir).resolve() if repo.working_tree_dir else None


def changed_files(repo: Path) -> list[str]:
    """Paths with uncommitted changes, untracked files included (`git status --porcelain`)."""
    with _translated(f"git status in {repo}"):
        text = git.Repo(repo).git.status("--porcelain", "--untracked-files=all")
    return [line[3:] for line in text.splitlines() if line.strip()]


def subjects(repo: Path, since: str | None, path: str = ".") -> list[str]:
    """Subjects of the commits after `since` (all when None) touching `path`, oldest first."""
    revisions = f"{since}..HEAD" if since else "HEAD"
    with _translated(f"git log in {repo}"):
        text = git.Repo(repo).git.log("--reverse", "--format=%s", revisions, "--", path)
    return [line for line in text.splitlines() if line.strip()]


def commit_paths(repo: Path, paths: list[str], message: str) -> str:
    """Commit `paths` (relative to `repo`) with `message`; return the new commit's sha."""
    with _translated(f"committing in {repo}"):
        handle = git.Repo(repo)
        handle.git.add("--", *paths)
        handle.git.commit("--no-verify", "--quiet", "-m", message, "--", *paths,
                          env=_identity_env(handle))
        return str(handle.head.commit.hexsha)


def tag_annotated(repo: Path, name: str, message: str) -> None:
    """Create the annotated tag `name` on HEAD."""
    with _translated(f"tagging {name} in {repo}"):
        handle = git.Repo(repo)
        handle.git.tag("--annotate", name, "-m", message, env=_identity_env(handle))


def clone_local(source: Path, dest: Path) -> None:
    """A full local clone of the repository at `source` (branches and tags) into `dest`."""
    with _translated(f"cloning {source}"):
        git.Repo.clone_from(str(source), dest, multi_options=["--quiet", "--no-hardlinks"])


def commit_everything(repo: Path, message: str) -> str:
    """Stage every change in the work tree (deletions too) and commit it, even if empty."""
    with _translated(f"committing in {repo}"):
        handle = git.Repo(repo)
        handle.git.add("--all", "--force")
        handle.git.commit("--no-verify", "--quiet", "--allow-empty", "-m", message,
                          env=_identity_env(handle))
        return str(handle.head.commit.hexsha)


def tracked_files(repo: Path) -> set[str]:
    """Every path committed at HEAD (`git ls-tree -r --name-only HEAD`)."""
    with _translated(f"listing files of {repo}"):
        text = git.Repo(repo).git.ls_tree("-r", "--name-only", "-z", "HEAD")
    return {name for name in text.split("\0") if name}
