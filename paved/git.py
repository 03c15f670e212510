"""The one module that touches git (through gitpython; plain `git` processes where
`paved check` reads a large work tree and every millisecond counts).

Errors from git are translated here into `GitError`, keeping git's own stderr.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import gitdb.exc
from git.exc import (
    GitCommandError,
    InvalidGitRepositoryError,
    NoSuchPathError,
    UnsafeOptionError,
    UnsafeProtocolError,
)
from gitdb.base import IStream
from gitdb.db import LooseObjectDB

from paved import scratch
from paved.errors import GitError, ProjectError

FALLBACK_BRANCH = "main"


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except GitCommandError as error:
        detail = (error.stderr or "").strip().replace("\n", " ").removeprefix("stderr: ")
        detail = " ".join(detail.strip("' ").split())
        raise GitError(f"{action} failed: {detail or error}") from error
    except (InvalidGitRepositoryError, NoSuchPathError) as error:
        raise GitError(f"{action} failed: not a git repository: {error}") from error
    except ValueError as error:
        if "null byte" not in str(error):
            raise
        # A process argument (a commit message, a path) held a NUL: no program accepts it.
        raise GitError(f"{action} failed: an argument holds a NUL character") from error
    except (UnsafeProtocolError, UnsafeOptionError) as error:
        # gitpython's refusal of `ext::` URLs and `--upload-pack=` style options: git
        # would run a program they name.
        raise GitError(f"{action} refused: {error}; use a path or an https, ssh or git "
                       f"URL") from error


def is_repo_root(path: Path) -> bool:
    """True when `path` is the top of a git work tree or a bare repository."""
    try:
        repo = git.Repo(path)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return False
    if repo.bare:
        return True
    return Path(repo.working_tree_dir or "").resolve() == path.resolve()


def is_git_dir(path: Path) -> bool:
    """True when `path` is a repository's git directory (`repo/.git`, or a bare repo)."""
    try:
        return Path(git.Repo(path).git_dir).resolve() == path.resolve()
    except (InvalidGitRepositoryError, NoSuchPathError):
        return False


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
        # Read from the ref files: `repo.head.commit` would start a `git cat-file`.
        return str(git.SymbolicReference.dereference_recursive(repo, "HEAD"))


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
        # One `rev-parse`: gitpython's `commit(ref)` starts two `cat-file` processes.
        return str(git.Repo(path).git.rev_parse("--verify", f"{ref}^{{commit}}")).strip()


def describe(path: Path, commit: str) -> str:
    """`git describe --tags --always COMMIT`: what copier records as a template's `_commit`
    (the tag's name at a tag, `TAG-N-gHASH` after one, an abbreviated hash before any)."""
    with _translated(f"describing {commit[:12]} in {path}"):
        return str(git.Repo(path).git.describe("--tags", "--always", commit))


def export_tree(path: Path, commit: str, dest: Path, *, max_files: int, max_bytes: int) -> None:
    """Write the files of `commit` (a sha) into `dest` (no .git) as a checkout of it
    holds them, as copier's clone does; links may not leave `dest`.

    Streamed from `git archive`, and refused past `max_files` files or `max_bytes`
    bytes: a catalog's tag is someone else's, and may hold anything. The archive is
    made in a repository of its own that borrows the catalog's objects and overrides
    the archive-only attributes (`export-subst`, `export-ignore`) that a checkout
    ignores; the checkout conversions (`eol`, `ident`, ...) apply as in a clone.
    """
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        with _translated(f"reading {commit[:12]} from {path}"):
            shadow = _borrowing_repository(Path(git.Repo(path).common_dir) / "objects",
                                           Path(folder))
            # gitpython kills the process when this handle is collected: keep it to the end.
            handle = git.Repo(shadow).git.archive("--format=tar", commit, as_process=True)
        _extract(handle.proc, f"{commit} of {path}", dest, max_files=max_files,
                 max_bytes=max_bytes)


#: Highest-precedence attributes (`info/attributes`) of the repository archives are
#: made in: what `git archive` alone would do to a file, a checkout does not.
_CHECKOUT_ATTRIBUTES = "* -export-subst -export-ignore\n"


def _borrowing_repository(objects: Path, folder: Path) -> Path:
    """A bare repository at `folder` whose objects are those at `objects` (an alternate:
    nothing is copied) and whose attributes are `_CHECKOUT_ATTRIBUTES`."""
    for name in ("refs", "objects/info", "info"):
        (folder / name).mkdir(parents=True)
    (folder / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (folder / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n",
                                   encoding="utf-8")
    (folder / "objects" / "info" / "alternates").write_text(f"{objects.resolve()}\n",
                                                             encoding="utf-8")
    (folder / "info" / "attributes").write_text(_CHECKOUT_ATTRIBUTES, encoding="utf-8")
    return folder


def _extract(process: subprocess.Popen[bytes], what: str, dest: Path, *, max_files: int,
             max_bytes: int) -> None:
    """Extract the tar stream `process` writes into `dest`, within the limits."""
    files, size = 0, 0
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            for member in archive:
                files, size = files + 1, size + member.size
                if files > max_files or size > max_bytes:
                    raise GitError(f"{what} holds more than {max_files:,} files or "
                                   f"{max_bytes // 1024 // 1024} MiB; refusing to extract it")
                # The "data" filter refuses absolute paths, `..` and links pointing outside.
                archive.extract(member, dest, filter="data")
    except tarfile.FilterError as error:
        raise GitError(f"{what} holds an unsafe path: {error}") from error
    except tarfile.TarError as error:
        process.wait()
        said = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise GitError(f"reading {what} failed: {' '.join(said.split()) or error}") from error
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


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
    # Cloned in this process's scratch area (the next run removes it if we are killed) and
    # renamed into place: two processes fetching a new catalog never share a half-made copy.
    scratch_dir = Path(tempfile.mkdtemp(dir=scratch.area(), prefix="mirror-"))
    try:
        with _translated(f"cloning {url}"):
            git.Repo.clone_from(url, scratch_dir / "mirror", bare=True,
                                multi_options=["--quiet"])
        try:
            (scratch_dir / "mirror").rename(dest)
        except OSError:
            if not dest.is_dir():  # else another paved process put its copy there first
                raise
    finally:
        shutil.rmtree(scratch_dir, ignore_errors=True)
    return True


def push_branch(path: Path, branch: str, remote: str = "origin") -> None:
    """Push `branch` of the repository at `path` to `remote`, creating or moving it there."""
    with _translated(f"pushing {branch} to {remote}"):
        try:
            git.Repo(path).git.push("--quiet", "--porcelain", "--force-with-lease", remote,
                                    f"refs/heads/{branch}:refs/heads/{branch}")
        except GitCommandError as error:
            refused = _refusal(str(error.stdout or ""), str(error.stderr or ""))
            if refused is None:
                raise
            raise GitError(f"{remote} refused {branch}: {refused}") from error


def _refusal(stdout: str, stderr: str) -> str | None:
    """Why the remote refused a push: its hook's words and git's reason, on one line."""
    reasons = re.findall(r"^!\t[^\t]*\t\[(?:remote )?rejected\] \((.*)\)$", stdout,
                         re.MULTILINE)
    if not reasons:
        return None
    said = " ".join(line.strip().removeprefix("remote:").strip()
                    for line in stderr.replace("stderr: '", "").splitlines()
                    if line.strip().startswith("remote:"))
    said = " ".join(said.split())
    return f"{said} ({reasons[0]})" if said else reasons[0]


# --- fleet workspaces: cached clones of a fleet's repositories (paved fleet) ---


def clone(location: str, dest: Path) -> None:
    """A full clone of `location` (path or URL) into `dest`, made beside it and renamed.

    Full, not shallow or partial: the pristine line (the second parents of update
    commits) must come along, so updates merge from the stored base.
    """
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with _translated(f"cloning {location}"):
            git.Repo.clone_from(location, partial, multi_options=["--quiet", "--no-tags"])
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def refresh_clone(path: Path) -> str:
    """Fetch `origin` and put the clone back on its default branch, as the remote has it.

    Whatever state an interrupted run left (another branch checked out, conflicts,
    stray files, local branches) is discarded. Returns the default branch's name.
    """
    with _translated(f"refreshing the clone {path}"):
        repo = git.Repo(path)
        repo.git.fetch("--quiet", "--prune", "--no-tags", "origin")
        try:
            head = str(repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD"))
        except GitCommandError:
            repo.git.remote("set-head", "origin", "--auto")
            head = str(repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD"))
        branch = head.removeprefix("origin/")
        repo.git.reset("--quiet", "--hard")
        repo.git.checkout("--quiet", "--force", "-B", branch, head)
        repo.git.clean("-ffdxq")
        stale = [name for name in str(repo.git.for_each_ref(
            "--format=%(refname)", "refs/heads", "refs/paved")).split()
            if name != f"refs/heads/{branch}"]
        for ref in stale:
            repo.git.update_ref("-d", ref)
        return branch


def remote_branch_exists(path: Path, branch: str, remote: str = "origin") -> bool:
    """True when the last fetch saw `branch` on `remote` (no network access)."""
    with _translated(f"reading the refs of {path}"):
        refs = git.Repo(path).git.for_each_ref("--format=%(refname)",
                                              f"refs/remotes/{remote}/{branch}")
    return bool(str(refs).strip())


# --- reading and writing a generated project's repository (paved update / status) ---

#: A file as git stores it: (mode, blob sha), e.g. ("100644", "e69de29…").
Entry = tuple[str, str]
EMPTY_SHA = "0" * 40


def blob_sha(data: bytes) -> str:
    """The sha git gives a blob holding `data`, computed without running git."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _stdin_path(path: str) -> str:
    """`path` as `--stdin-paths` reads it: C-quoted when git would unquote it."""
    if not path.startswith('"') and "\n" not in path:
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class Repository:
    """A generated project's repository. Every method is one git operation (or none)."""

    def __init__(self, path: Path) -> None:
        with _translated(f"opening {path}"):
            try:
                self._repo = git.Repo(path, search_parent_directories=True)
            except (InvalidGitRepositoryError, NoSuchPathError) as error:
                raise ProjectError(f"{path} is not a git repository") from error
        if self._repo.bare or self._repo.working_tree_dir is None:
            raise ProjectError(f"{path} is a bare repository; run paved in a checkout")
        self.root = Path(self._repo.working_tree_dir)
        self.git_dir = Path(self._repo.git_dir)  # HEAD, index, MERGE_HEAD live here
        # New objects are written as loose objects by gitdb, in Python: gitpython's own
        # object database runs one `git hash-object` process per object stored.
        self._objects = LooseObjectDB(str(Path(self._repo.common_dir) / "objects"))

    def _git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
             action: str = "") -> str:
        with _translated(action or f"git {args[0]}"), tempfile.TemporaryFile() as stream:
            stream.write((stdin or "").encode())
            stream.seek(0)
            return str(self._repo.git.execute(["git", "--no-optional-locks", *args],
                                              env=env, istream=stream if stdin else None,
                                              strip_newline_in_stdout=False))

    def resolve(self, rev: str) -> str | None:
        """The commit `rev` names, or None when there is none (no such ref, empty repo)."""
        try:
            return str(self._repo.commit(rev).hexsha)
        except (ValueError, IndexError, GitCommandError, gitdb.exc.BadName):
            return None

    def resolve_ref(self, ref: str) -> str | None:
        """The object a full ref name (`refs/paved/pristine`, `HEAD`) points at, or None."""
        if ref == "HEAD":
            return self.resolve("HEAD")
        path = Path(self._repo.common_dir) / ref
        if path.is_file():  # a loose ref: read it without running git
            return path.read_text(encoding="utf-8").strip() or None
        return self.resolve(ref) if ref.startswith("refs/") else None

    def message(self, commit: str) -> str:
        with _translated(f"reading commit {commit[:12]}"):
            return str(self._repo.commit(commit).message)

    def is_valid_branch_name(self, name: str) -> bool:
        status = self._repo.git.execute(["git", "check-ref-format", "--branch", name],
                                        with_exceptions=False, with_extended_output=True)[0]
        return status == 0

    def head_file(self) -> str:
        """HEAD as written: `ref: refs/heads/main` or a detached commit sha."""
        return (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()

    def entries(self, rev: str) -> dict[str, Entry]:
        """Every file of `rev` (recursively) as path -> (mode, sha)."""
        listing = self._git("ls-tree", "-r", "-z", "--full-tree", rev,
                            action=f"listing the files of {rev[:12]}")
        found: dict[str, Entry] = {}
        for record in listing.split("\0"):
            if record:
                meta, _, path = record.partition("\t")
                mode, _kind, sha = meta.split(" ")
                found[path] = (mode, sha)
        return found

    def read_blob(self, sha: str) -> bytes:
        with _translated(f"reading object {sha[:12]}"):
            return bytes(self._repo.odb.stream(bytes.fromhex(sha)).read())

    def store_blob(self, data: bytes) -> str:
        """Write `data` as a blob into the object store (no subprocess); return its sha."""
        stream = self._objects.store(IStream(b"blob", len(data), io.BytesIO(data)))
        return bytes(stream.binsha).hex()

    def stored_shas(self, root: Path, paths: Sequence[str], *, write: bool = False) -> list[str]:
        """The blob sha `git add` would store for each regular file `paths` (relative) of
        folder `root`, as if `root` were this repo's work tree: the checkout conversions its
        `.gitattributes`, this repo's attributes and config call for (`text`, `eol`, `ident`,
        filters, `core.autocrlf`) applied. With `write`, the blobs are stored too.

        One `git hash-object --stdin-paths` for them all; an index of no file, so only
        what is in `root` says which attributes apply (git reads them from the work tree
        first when it stores a file).
        """
        if not paths:
            return []
        stdin = b"".join(os.fsencode(_stdin_path(path)) + b"\n" for path in paths)
        with tempfile.TemporaryDirectory(prefix="hash-") as folder:
            env = {**os.environ, "GIT_INDEX_FILE": str(Path(folder) / "index")}
            args = ["git", "--no-optional-locks", "-c", "core.safecrlf=false",
                    f"--git-dir={self.git_dir}", f"--work-tree={root}", "hash-object",
                    *(["-w"] if write else []), "--stdin-paths"]
            try:
                done = subprocess.run(args, cwd=root, input=stdin, capture_output=True,
                                      env=env, check=False)
            except OSError as error:
                raise GitError(f"git hash-object failed: {error}") from error
        shas = done.stdout.decode().split()
        if done.returncode != 0 or len(shas) != len(paths):
            said = " ".join(done.stderr.decode(errors="replace").split())
            raise GitError(f"hashing the files of {root} failed: {said or done.returncode}")
        return shas

    def stored_sha(self, file: Path, name: str) -> str:
        """The blob sha `git add` would store for `file` at work-tree path `name` (its
        conversions applied, as `stored_shas`); nothing is written."""
        with tempfile.TemporaryDirectory(prefix="hash-") as folder:
            return self._git("-c", "core.safecrlf=false", "hash-object", f"--path={name}",
                             "--", str(file), env={"GIT_INDEX_FILE": str(Path(folder) / "i")},
                             action=f"hashing {name}").strip()

    def checkout_data(self, tree: str, files: Mapping[str, Entry]) -> dict[str, bytes]:
        """The bytes `git checkout` of `tree` would write for each of `files` (path ->
        entry, regular files): the blobs with the checkout conversions (`eol`, `ident`,
        filters) that the attributes of `tree` and this repo call for."""
        if not files:
            return {}
        with tempfile.TemporaryDirectory(prefix="checkout-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            self._git("read-tree", tree, env=env, action="preparing a checkout")
            lines = "".join(f"{mode} {sha}\t{path}\n" for path, (mode, sha) in files.items())
            self._git("update-index", "--index-info", env=env, stdin=lines,
                      action="preparing a checkout")
            out = Path(folder) / "out"
            self._git("checkout-index", "--force", f"--prefix={out}/", "-z", "--stdin", env=env,
                      stdin="".join(f"{path}\0" for path in files), action="converting files")
            return {path: (out / path).read_bytes() for path in files}

    def may_convert(self, paths: Collection[str]) -> bool:
        """False when git can convert no file between the repo and a work tree holding
        `paths`: none of them is a `.gitattributes`, and neither this repo nor the
        user's configuration sets attributes or `core.autocrlf` (read without git)."""
        if any(path.rsplit("/", 1)[-1] == ".gitattributes" for path in paths):
            return True
        if (Path(self._repo.common_dir) / "info" / "attributes").is_file():
            return True
        reader = self._repo.config_reader()
        if str(reader.get_value("core", "autocrlf", "false")).lower() not in ("false", "0",
                                                                             "no", "off"):
            return True
        home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        attributes_file = reader.get_value("core", "attributesFile", "") or \
            home / "git" / "attributes"
        return Path(os.path.expanduser(str(attributes_file))).is_file()

    def store_tree(self, files: Mapping[str, Entry]) -> str:
        """Write the nested trees holding `files` (path -> entry); return the root tree sha."""
        root: dict[str, Any] = {}
        for path, entry in files.items():
            *folders, name = path.split("/")
            node = root
            for folder in folders:
                node = node.setdefault(folder, {})
            node[name] = entry
        return self._store_tree_node(root)

    def _store_tree_node(self, node: Mapping[str, Any]) -> str:
        items: list[tuple[bytes, bytes]] = []
        for name, value in node.items():
            if isinstance(value, dict):
                mode, sha, key = "40000", self._store_tree_node(value), name + "/"
            else:
                (mode, sha), key = value, name
            items.append((key.encode(), f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha)))
        data = b"".join(entry for _, entry in sorted(items))  # git sorts folders as "name/"
        stream = self._objects.store(IStream(b"tree", len(data), io.BytesIO(data)))
        return bytes(stream.binsha).hex()

    def commit_tree(self, tree: str, parents: Sequence[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self._git(*args, "-F", "-", stdin=message, env=_identity_env(self._repo),
                         action="writing a commit").strip()

    def commits_mentioning(self, pattern: str, rev: str = "HEAD") -> list[tuple[str, str]]:
        """(sha, message) of each commit reachable from `rev` whose message matches."""
        if self.resolve(rev) is None:
            return []
        listing = self._git("log", "-z", "--topo-order", "--format=%H%n%B",
                            f"--grep={pattern}", rev, action="searching the history")
        found = []
        for record in listing.split("\0"):
            sha, _, message = record.strip("\n").partition("\n")
            if sha:
                found.append((sha, message))
        return found

    def commits_between(self, tip: str, exclude: str) -> list[tuple[str, str]]:
        """(sha, message) of each commit reachable from `tip` but not from `exclude`."""
        listing = self._git("log", "-z", "--format=%H%n%B", tip, "--not", exclude,
                            action="listing commits")
        found = []
        for record in listing.split("\0"):
            sha, _, message = record.strip("\n").partition("\n")
            if sha:
                found.append((sha, message))
        return found

    def read_file(self, rev: str, path: str) -> bytes | None:
        """The bytes of `path` in commit `rev`, or None when it has no such file."""
        try:
            blob = self._repo.commit(rev).tree / path
        except (KeyError, ValueError, GitCommandError, gitdb.exc.BadName):
            return None
        return self.read_blob(blob.hexsha) if blob.type == "blob" else None

    def last_date_mentioning(self, pattern: str, rev: str = "HEAD") -> str | None:
        """The committer date (ISO 8601) of the newest commit whose message matches."""
        if self.resolve(rev) is None:
            return None
        found = self._git("log", "-1", "--format=%cI", "-E", f"--grep={pattern}", rev,
                          action="searching the history").strip()
        return found or None

    def untracked_files(self) -> set[str]:
        """Files in the work tree that git neither tracks nor ignores."""
        listing = self._git("ls-files", "--others", "--exclude-standard", "-z",
                            action="listing untracked files")
        return {name for name in listing.split("\0") if name}

    def commit_work_tree(self, parent: str, message: str, *,
                         leave: Collection[str]) -> str | None:
        """A commit on `parent` of what changed in the work tree since: tracked files, and
        untracked ones but those in `leave` (the team's, there before). Made with an index
        of its own: no ref moves and the repo's index is untouched. None when nothing did."""
        with tempfile.TemporaryDirectory(prefix="index-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            self._git("read-tree", parent, env=env, action="reading a tree")
            self._git("add", "--update", env=env, action="staging changed files")
            new = sorted(self.untracked_files() - set(leave))
            if new:
                self._git("add", "--", *new, env=env, action="staging new files")
            tree = self._git("write-tree", env=env, action="writing a tree").strip()
        if tree == self._git("rev-parse", f"{parent}^{{tree}}", action="reading a tree").strip():
            return None
        return self.commit_tree(tree, [parent], message)

    def operation_in_progress(self) -> str | None:
        """The git operation stopped half-way in this work tree, if any: `merge`, `rebase`,
        `am`, `cherry-pick`, `revert` or `bisect` (as git itself tells them apart)."""
        git_dir = self.git_dir
        if (git_dir / "MERGE_HEAD").exists():
            return "merge"
        if (git_dir / "rebase-merge").is_dir():
            return "rebase"
        if (git_dir / "rebase-apply").is_dir():
            return "am" if (git_dir / "rebase-apply" / "applying").exists() else "rebase"
        if (git_dir / "CHERRY_PICK_HEAD").exists():
            return "cherry-pick"
        if (git_dir / "REVERT_HEAD").exists():
            return "revert"
        todo = git_dir / "sequencer" / "todo"
        if todo.is_file():
            first = todo.read_text(encoding="utf-8", errors="replace").split(maxsplit=1)
            return "revert" if first and first[0] in ("revert", "r") else "cherry-pick"
        if (git_dir / "BISECT_LOG").exists():
            return "bisect"
        return None

    def index_digest(self, index_file: Path) -> str | None:
        """What an index file holds (paths, modes, blobs, stages; not file stats), as a digest:
        the same for an index git merely refreshed. None when there is no such file."""
        if not index_file.exists():
            return None
        listing = self._git("ls-files", "--stage", "-z",
                            env={"GIT_INDEX_FILE": str(index_file)}, action="reading the index")
        return hashlib.sha256(listing.encode()).hexdigest()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when commit `descendant` has `ancestor` in its history (or is it)."""
        status = self._repo.git.execute(
            ["git", "merge-base", "--is-ancestor", ancestor, descendant],
            with_exceptions=False, with_extended_output=True)[0]
        return status == 0

    def changed_tracked_files(self) -> list[str]:
        """Tracked files with uncommitted changes (staged or not), unmerged ones included."""
        listing = self._git("status", "--porcelain=v1", "-z", "--untracked-files=no",
                            "--ignore-submodules=none", action="checking for local changes")
        return [record[3:] for record in listing.split("\0") if len(record) > 3]

    def merge_head(self) -> str | None:
        """The commit being merged (`.git/MERGE_HEAD`), or None when no merge is in progress."""
        path = self.git_dir / "MERGE_HEAD"
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8").split("\n", 1)[0].strip() or None

    def unmerged_paths(self) -> list[str]:
        """Paths with conflict stages in the index (read-only: `ls-files` writes nothing)."""
        listing = self._git("ls-files", "--unmerged", "-z", action="listing conflicts")
        return sorted({record.partition("\t")[2] for record in listing.split("\0") if record})

    def file_at(self, rev: str, path: str) -> bytes | None:
        """The bytes of `path` in commit `rev`, or None when it has no such file."""
        listing = self._git("ls-tree", "-z", "--full-tree", rev, "--", path,
                            action=f"reading {path} of {rev[:12]}")
        meta, _, found = listing.partition("\0")[0].partition("\t")
        return self.read_blob(meta.split(" ")[2]) if found == path else None

    def changed_since(self, rev: str) -> dict[str, str]:
        """Files of the work tree that differ from `rev`: path -> A (added), M or D.

        Read-only: `git diff` would refresh and rewrite the index, `diff-index` does
        not; files it cannot vouch for (stat changed) are hashed here instead.
        """
        listing = self._git("diff-index", "-z", "--no-renames", rev, "--",
                            action=f"comparing the work tree with {rev[:12]}")
        fields = listing.split("\0")
        changed = {}
        for meta, path in zip(fields[::2], fields[1::2], strict=False):
            if not meta:
                continue
            _, _, old, new, status = meta.split(" ")
            if status == "M" and new == EMPTY_SHA:
                local = self.root / path
                if local.is_file() and not local.is_symlink() and \
                        blob_sha(local.read_bytes()) == old:
                    continue  # only its stat changed
            if status == "M" and not (self.root / path).exists():
                status = "D"
            changed[path] = status
        return changed

    def merge_file(self, ours: Path, base: Path, theirs: Path,
                   labels: tuple[str, str, str]) -> tuple[bytes, bool]:
        """Three-way merge of one file's text; returns (result, True when conflicted)."""
        with _translated("merging a file"):
            status, out, err = self._repo.git.execute(
                ["git", "merge-file", "-p", "-L", labels[0], "-L", labels[1], "-L", labels[2],
                 str(ours), str(base), str(theirs)],
                with_exceptions=False, with_extended_output=True, as_process=False,
                stdout_as_string=False, strip_newline_in_stdout=False)
        if status < 0 or status > 127:
            raise GitError(f"git merge-file failed: {err!r}")
        return bytes(out), status > 0

    def build_index(self, index_file: Path, tree: str, stages: Mapping[str, Sequence[Entry | None]]
                    ) -> None:
        """Write an index for `tree` into `index_file`; `stages` paths become unmerged.

        Each value of `stages` is (base, ours, theirs): the entries for stages 1-3.
        """
        env = {"GIT_INDEX_FILE": str(index_file)}
        self._git("read-tree", tree, env=env, action="preparing the index")
        if stages:
            lines = []
            for path, sides in stages.items():
                lines.append(f"0 {EMPTY_SHA}\t{path}")
                for stage, side in enumerate(sides, start=1):
                    if side is not None:
                        lines.append(f"{side[0]} {side[1]} {stage}\t{path}")
            self._git("update-index", "--index-info", env=env, stdin="\n".join(lines) + "\n",
                      action="recording the conflicts in the index")

    def refresh_index(self, index_file: Path) -> None:
        """Record the work tree's file stats in `index_file` so git sees it unchanged."""
        with _translated("refreshing the index"):
            self._repo.git.execute(["git", "update-index", "-q", "--refresh",
                                    "--ignore-submodules"], env={"GIT_INDEX_FILE":
                                                                 str(index_file)},
                                   with_exceptions=False)

    def update_refs(self, changes: Mapping[str, tuple[str | None, str | None]]) -> None:
        """Change several refs in one atomic transaction: ref -> (new, expected old).

        A new value of None deletes the ref; an expected old of None means "must not exist".
        """
        lines = ["start"]
        for ref, (new, old) in changes.items():
            expected = old or EMPTY_SHA
            if new is None:
                lines.append(f"delete {ref} {expected}" if old else f"delete {ref}")
            else:
                lines.append(f"update {ref} {new} {expected}")
        lines += ["prepare", "commit"]
        self._git("update-ref", "--no-deref", "--stdin", stdin="\n".join(lines) + "\n",
                  action="updating refs")

    def set_head(self, head: str) -> None:
        """Point HEAD at `head`: `ref: refs/heads/x` (a branch) or a commit sha."""
        if head.startswith("ref: "):
            self._git("symbolic-ref", "HEAD", head.removeprefix("ref: "), action="moving HEAD")
        else:
            self._git("update-ref", "--no-deref", "HEAD", head, action="moving HEAD")


def remote_url(path: Path, remote: str = "origin") -> str | None:
    """The URL the repository at `path` fetches `remote` from, or None when it has none."""
    with _translated(f"reading the remote {remote} of {path}"):
        try:
            repo = git.Repo(path)
            return str(repo.remote(remote).url) or None
        except (ValueError, InvalidGitRepositoryError, NoSuchPathError):
            return None


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


# -- reading a work tree quickly (paved check) ------------------------------------------------

@dataclass(frozen=True)
class WorkTreeFiles:
    """The files git sees at or under a directory, relative to it."""
    files: tuple[str, ...]  # tracked (present) and untracked-not-ignored regular files
    links: tuple[str, ...]  # tracked symbolic links and submodules: never followed


def work_tree_files(path: Path, *, ignored: bool = False) -> WorkTreeFiles | None:
    """The files at or under `path` as `git ls-files` lists them: tracked ones still in the
    work tree and untracked ones, without those git ignores (with them when `ignored`).
    None when `path` is not in a git work tree or git cannot read it (then the caller
    walks the directory itself)."""
    tracked = _lines(path, "ls-files", "-z", "--stage", "--cached")
    others = _lines(path, "ls-files", "-z", "-t", "--others", "--deleted",
                    *([] if ignored else ["--exclude-standard"]))
    if tracked is None or others is None:
        return None
    deleted = {entry[2:] for entry in others if entry.startswith("R ")}
    files: list[str] = []
    links: list[str] = []
    for entry in tracked:
        meta, _, name = entry.partition("\t")
        if name in deleted:
            continue
        (links if meta.startswith(("120000", "160000")) else files).append(name)
    # A nested repository shows as "dir/": its files are its own. git lists an untracked
    # link as a file: look (untracked files are few).
    for entry in others:
        if entry.startswith("? ") and not entry.endswith("/"):
            (links if os.path.islink(os.path.join(path, entry[2:])) else files).append(entry[2:])
    return WorkTreeFiles(tuple(dict.fromkeys(files)), tuple(links))


def grep_files(path: Path, words: Sequence[str], pathspecs: Sequence[str], *,
               threads: int, ignored: bool = False) -> set[str] | None:
    """Files at or under `path` (tracked or untracked, not ignored unless `ignored`, not
    binary) that contain any of `words`, case-blind; None when git cannot tell."""
    args = ["grep", "--untracked", "-l", "-z", "-I", "-i", "-F", f"--threads={max(threads, 1)}",
            *(["--no-exclude-standard"] if ignored else [])]
    for word in words:
        args += ["-e", word]
    found = _lines(path, *args, "--", *pathspecs, codes=(0, 1))
    return None if found is None else set(found)


def attributes(path: Path, paths: Sequence[str], names: Sequence[str]) -> dict[str, set[str]]:
    """For each of `paths` (relative to `path`), which of the attributes `names` are set
    (`.gitattributes`: `linguist-generated`, …). Empty when git cannot tell."""
    stdin = "".join(f"{name}\0" for name in paths)
    out = _lines(path, "check-attr", "-z", "--stdin", *names, stdin=stdin)
    found: dict[str, set[str]] = {}
    if out is None:
        return found
    for index in range(0, len(out) - 2, 3):
        name, attribute, value = out[index:index + 3]
        if value not in ("unset", "unspecified", "false"):
            found.setdefault(name, set()).add(attribute)
    return found


def _lines(path: Path, *args: str, stdin: str | None = None,
           codes: tuple[int, ...] = (0,)) -> list[str] | None:
    """git's NUL-separated output (decoded as the file system does), None on failure."""
    try:
        done = subprocess.run(["git", "--no-optional-locks", "-c", "core.quotePath=false",
                               *args], cwd=path, input=os.fsencode(stdin) if stdin else None,
                              capture_output=True, check=False)
    except OSError:
        return None
    if done.returncode not in codes:
        return None
    return [os.fsdecode(item) for item in done.stdout.split(b"\0") if item]
