"""Evidence from CI: the newest chaos journal and rollback drill artifacts of a hosted repo.

`paved fleet check --evidence-from-ci` asks each repo's host (the same client
`fleet update` publishes through: `hosting.Host.artifact`) for the artifacts
the golden path's CI uploads, built on the default branch, and unpacks the
JSON files they hold into a folder that `paved check --evidence` reads.

An artifact is someone else's zip archive, so it is read as hostile: the
download stops at `MAX_ARCHIVE_BYTES`; at most `MAX_MEMBERS` entries; only
regular `*.json` files are taken, each under its own base name (no path from
the archive is ever joined to the folder: no `../`, no absolute path, no link);
each file is decompressed at most `MAX_EVIDENCE_BYTES` far (a member whose
header lies about its size cannot inflate past it) and all of them at most
`MAX_UNPACKED_BYTES`. What the JSON says is judged by the evidence rules, which
read it as hostile too.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from paved.check.evidence import MAX_EVIDENCE_BYTES
from paved.fleet.hosting import Host, HostError

#: The artifacts the golden path's CI uploads, by host: GitHub names artifacts, GitLab
#: keeps them per job.
ARTIFACTS = {"github": ("chaos-journal", "rollback-drill"), "gitlab": ("chaos", "rollback-drill")}
MAX_ARCHIVE_BYTES = 32 * 1024 * 1024
MAX_MEMBERS = 64
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.json")


class UnsafeArchive(HostError):
    """An artifact that is not a zip archive paved will unpack."""


@dataclass(frozen=True)
class Fetched:
    files: tuple[str, ...]  # written, relative to the folder
    notes: tuple[str, ...]  # one line per artifact not found or refused


def fetch(host: Host, slug: str, folder: Path) -> Fetched:
    """The evidence artifacts of `slug` unpacked into `folder` (one subfolder each)."""
    files: list[str] = []
    notes: list[str] = []
    for name in ARTIFACTS[host.name]:
        try:
            archive = host.artifact(slug, name, MAX_ARCHIVE_BYTES)
            if archive is None:
                notes.append(f"{name}: no artifact on the default branch")
                continue
            written = unpack(archive, folder / name)
        except HostError as error:
            notes.append(f"{name}: {error}")
            continue
        files += [f"{name}/{file}" for file in written]
        if not written:
            notes.append(f"{name}: no JSON file in the artifact")
    return Fetched(tuple(files), tuple(notes))


def unpack(archive: bytes, folder: Path) -> tuple[str, ...]:
    """The regular `*.json` members of `archive`, written flat into `folder` under their
    base names; UnsafeArchive when it cannot be read safely."""
    try:
        zipped = zipfile.ZipFile(io.BytesIO(archive))
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnsafeArchive(f"not a zip archive: {error}") from error
    members = zipped.infolist()
    if len(members) > MAX_MEMBERS:
        raise UnsafeArchive(f"{len(members)} entries in the archive (at most {MAX_MEMBERS})")
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, bytes] = {}
    total = 0
    for member in members:
        name = member.filename.replace("\\", "/").rsplit("/", 1)[-1]
        mode = member.external_attr >> 16  # Unix mode; no file type bits: a regular file
        if member.is_dir() or not SAFE_NAME.fullmatch(name) \
                or stat.S_IFMT(mode) not in (0, stat.S_IFREG) or name in written:
            continue  # folders, other files, links, odd names, a second file of a name
        try:
            with zipped.open(member) as source:
                data = source.read(MAX_EVIDENCE_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError,
                EOFError) as error:
            raise UnsafeArchive(f"cannot read {name} in the archive: {error}") from error
        if len(data) > MAX_EVIDENCE_BYTES:
            raise UnsafeArchive(f"{name} unpacks past {MAX_EVIDENCE_BYTES} bytes")
        total += len(data)
        if total > MAX_UNPACKED_BYTES:
            raise UnsafeArchive(f"the archive unpacks past {MAX_UNPACKED_BYTES} bytes")
        written[name] = data
    for name, data in written.items():
        (folder / name).write_bytes(data)
    return tuple(written)
