"""Reading a repository's Python once for every rule: candidates first, parsed in parallel.

1. Candidates: the non-test `.py` files that contain a word of `pycode.WORDS`
   (HTTP clients, web frameworks, retry, logging, tracing and metrics
   libraries, settings, routes), found by one `git grep` over the work tree,
   or by the same search in Python where git cannot tell; `settings.py` and
   `config.py` always. A module without any of these words holds nothing a
   rule reads, so it is never parsed.
2. Each candidate is read once and parsed once, in `jobs` processes when there
   are enough candidates to pay for starting them (`PARALLEL_FROM`), and reduced
   to `pycode.ModuleFacts`; its syntax tree is dropped at once, so memory grows
   with the facts, not with the code.
3. A candidate that cannot be read (larger than `max-file-bytes`, not UTF-8,
   not valid Python) is `Unread`, with the kinds of fact it may hold: rules
   that need those say "not checked" instead of failing. A module whose header
   says it is generated (`@generated`, "Generated … DO NOT EDIT") is left out,
   as `.gitattributes`' `linguist-generated` files are.
"""

from __future__ import annotations

import ast
import gc
import io
import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from paved.check import pycode

PARALLEL_FROM = 2000  # candidates; below this, starting processes costs more than it saves
BATCH = 500
CHUNK = 1 << 20
BINARY_PROBE = 8192
_WORDS = re.compile(b"|".join(re.escape(word.encode()) for word in pycode.WORDS), re.IGNORECASE)
_GENERATED = re.compile(rb"@generated\b|generated[^\n]*DO NOT EDIT|DO NOT EDIT[^\n]*generated",
                        re.IGNORECASE)
HEADER_LINES = 10


@dataclass(frozen=True)
class Unread:
    """A file a rule may need that could not be read, and why."""
    path: str
    reason: str
    needs: frozenset[str] = field(default_factory=frozenset)  # kinds of input it may hold


@dataclass(frozen=True)
class Scan:
    facts: dict[str, pycode.ModuleFacts]  # only modules holding any fact
    unread: tuple[Unread, ...]
    generated: tuple[str, ...]
    parsed: int  # candidates read and parsed


def candidates(root: Path, paths: Sequence[str], *, jobs: int, by_git: bool,
               ignored: bool = False) -> tuple[list[str], bool]:
    """The files among `paths` (Python, in walk order) worth parsing, and whether they were
    prefiltered already (else each is searched as it is read)."""
    if by_git and paths:
        from paved import git

        found = git.grep_files(root, pycode.WORDS, ["*.py"], threads=jobs, ignored=ignored)
        if found is not None:
            return [path for path in paths if path in found or
                    path.rsplit("/", 1)[-1] in pycode.SETTINGS_FILES], True
    return list(paths), False


def scan(root: Path, paths: Sequence[str], *, max_bytes: int, jobs: int,
         prefiltered: bool) -> Scan:
    """Read and parse each of `paths` once, in `jobs` processes when it pays."""
    batches = [list(paths[start:start + BATCH]) for start in range(0, len(paths), BATCH)]
    args = (repeat(str(root)), batches, repeat(max_bytes), repeat(prefiltered))
    if jobs > 1 and len(paths) >= PARALLEL_FROM:
        # Imported here: a small repository never pays for them (start-up counts).
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        # fork starts a worker in milliseconds with paved already imported.
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            results = list(pool.map(read_batch, *args))
    else:
        results = list(map(read_batch, *args))
    facts: dict[str, pycode.ModuleFacts] = {}
    unread: list[Unread] = []
    generated: list[str] = []
    parsed = 0
    for batch in results:
        for item in batch:
            if isinstance(item, pycode.ModuleFacts):
                parsed += 1
                if _holds_anything(item):
                    facts[item.path] = item
            elif isinstance(item, Unread):
                unread.append(item)
            elif isinstance(item, str):
                generated.append(item)
    return Scan(facts, tuple(unread), tuple(generated), parsed)


def read_batch(root: str, paths: list[str], max_bytes: int, prefiltered: bool) -> list[
        pycode.ModuleFacts | Unread | str | None]:
    """Facts, `Unread`, a generated module's path, or None (nothing to read) per path."""
    # Syntax trees hold no reference cycles: reference counting frees them, and the
    # collector would only walk the facts gathered so far, again and again.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [_read(root, path, max_bytes, prefiltered) for path in paths]
    finally:
        if enabled:
            gc.enable()


def _read(root: str, path: str, max_bytes: int,
          prefiltered: bool) -> pycode.ModuleFacts | Unread | str | None:
    full = os.path.join(root, path)
    try:
        with open(full, "rb") as stream:
            raw = stream.read(max_bytes + 1)
            if len(raw) > max_bytes:
                needs = _needs_of_stream(raw, stream)
                return Unread(path, f"larger than {max_bytes} bytes (max-file-bytes)", needs) \
                    if needs else None
    except OSError as error:
        return Unread(path, f"unreadable ({error.strerror or type(error).__name__})",
                      frozenset(pycode.NEEDS))
    if b"\0" in raw[:BINARY_PROBE]:
        return Unread(path, "binary")  # cannot be Python source: nothing to check there
    if not prefiltered and not _WORDS.search(raw) and \
            path.rsplit("/", 1)[-1] not in pycode.SETTINGS_FILES:
        return None
    if _generated(raw):
        return path
    try:
        tree = ast.parse(raw, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        reason = "unreadable or not UTF-8" if _undecodable(raw) else "not valid Python"
        return Unread(path, reason, _needs_of(raw))
    return pycode.extract(tree, path, _needs_of(raw))


def _holds_anything(facts: pycode.ModuleFacts) -> bool:
    return bool(facts.calls or facts.routes or facts.settings or facts.mentions
                or facts.bare_retries)


def _generated(raw: bytes) -> bool:
    header = b"\n".join(line for line in raw.split(b"\n", HEADER_LINES)[:HEADER_LINES]
                        if line.lstrip().startswith(b"#"))
    return bool(_GENERATED.search(header))


def _undecodable(raw: bytes) -> bool:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return True
    return False


def _needs_of(raw: bytes) -> frozenset[str]:
    return pycode.needs_of(raw.decode("latin-1"))


def _needs_of_stream(first: bytes, stream: io.BufferedReader) -> frozenset[str]:
    """The kinds of fact a file too large to parse may hold, read chunk by chunk."""
    found: set[str] = set()
    tail = b""
    for chunk in _chunks(first, stream):
        found |= _needs_of(tail + chunk)
        tail = chunk[-64:]  # a word across two chunks
    return frozenset(found)


def _chunks(first: bytes, stream: io.BufferedReader) -> Iterator[bytes]:
    yield first
    while chunk := stream.read(CHUNK):
        yield chunk
