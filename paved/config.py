"""Where paved keeps its cache, and settings read from the environment and config file.

The config file (`$PAVED_CONFIG`, else `$XDG_CONFIG_HOME/paved/config.yml`, else
`~/.config/paved/config.yml`) is optional YAML:

    trusted_catalogs:            # catalogs allowed to run code (copier tasks,
      - https://github.com/acme/paved-catalog.git   # migrations, extensions)
      - /srv/catalogs/*          # a trailing * trusts every source under a prefix

Trust is decided on canonical sources (`canonical_source`): `..` is resolved
(and links, for paths) on both sides before comparing, so no source climbs out
of a trusted prefix (`file:///srv/catalogs/../evil` is not under `/srv/catalogs/`).
"""

from __future__ import annotations

import os
import posixpath
import re
import urllib.parse
from pathlib import Path

CATALOG_ENV = "PAVED_CATALOG"
CACHE_ENV = "PAVED_CACHE_DIR"
CONFIG_ENV = "PAVED_CONFIG"


def cache_dir() -> Path:
    """`$PAVED_CACHE_DIR`, else `$XDG_CACHE_HOME/paved`, else `~/.cache/paved`."""
    if explicit := os.environ.get(CACHE_ENV):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paved"


def default_catalog_source() -> str:
    """`$PAVED_CATALOG`, else the catalog bundled with paved."""
    return os.environ.get(CATALOG_ENV) or BUNDLED


def config_file() -> Path:
    if explicit := os.environ.get(CONFIG_ENV):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "paved" / "config.yml"


def trusted_catalogs() -> tuple[str, ...]:
    """The `trusted_catalogs:` of the config file (none when there is no file)."""
    from paved import yaml
    from paved.errors import InputError

    path = config_file()
    if not path.is_file():
        return ()
    data = yaml.plain(yaml.load(path)) or {}
    listed = data.get("trusted_catalogs") if isinstance(data, dict) else None
    if listed is None:
        return ()
    if not isinstance(listed, list):
        raise InputError(f"{path}: trusted_catalogs must be a list of catalog sources")
    return tuple(str(source) for source in listed)


def is_trusted(source: str) -> bool:
    """True when catalog `source` may run code: the bundled one (paved's own), or one the
    config file trusts, exactly or under a prefix (`…/*`), compared canonically."""
    if source == BUNDLED:
        return True
    wanted = canonical_source(source)
    if wanted is None:
        return False
    for trusted in trusted_catalogs():
        prefix = trusted.endswith("*")
        listed = canonical_source(trusted[:-1] if prefix else trusted)
        if listed is None:
            continue
        if prefix and trusted[:-1].endswith("/") and listed != "/":
            listed += "/"  # `/srv/catalogs/*` trusts what is under the folder, not beside it
        if wanted == listed or (prefix and wanted.startswith(listed)):
            return True
    return False


BUNDLED = "bundled"
_TRANSPORTS = ("https", "http", "ssh", "git", "file")


def canonical_source(source: str) -> str | None:
    """One spelling per catalog source, for trust: None for one that cannot be trusted.

    Paths become absolute with `~`, `..` and links resolved; `file://` URLs become
    such paths; other URLs get a lower-case scheme and host and a path with `..`,
    `.`, percent-escapes and repeated slashes resolved; scp-like `git@host:path`
    becomes `ssh://git@host/path`. A trailing `/` or `.git` is dropped.
    Refused: other transports, queries, fragments, backslashes, control characters,
    escapes that would still decode to something (`%252e`).
    """
    if not source or "\\" in source or "::" in source or any(ord(c) < 32 for c in source):
        return None
    scp = re.fullmatch(r"([\w.-]+@)?([\w.-]+):(?!//)(.*)", source)
    if "://" in source:
        parts = urllib.parse.urlsplit(source)
        scheme = parts.scheme.lower()
        if scheme not in _TRANSPORTS or parts.query or parts.fragment or "#" in source:
            return None
        path = urllib.parse.unquote(parts.path)
        if "%" in path:
            return None
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                return None
            return _local(path)
        user, at, host = parts.netloc.rpartition("@")
        return f"{scheme}://{user}{at}{host.lower()}{_clean(path)}"
    if scp and len(scp.group(2)) > 1 and not source.startswith(("/", ".", "~")):
        login, host, path = scp.groups()
        relative = posixpath.normpath(path or ".")
        if relative == ".." or relative.startswith("../"):
            return None  # above the account's home on that host
        return f"ssh://{login or ''}{host.lower()}{_clean('/' + relative)}"
    return _local(source)


def _local(path: str) -> str:
    return _strip(os.path.realpath(os.path.expanduser(path)))


def _clean(path: str) -> str:
    return _strip(posixpath.normpath("/" + re.sub("/+", "/", path).lstrip("/")))


def _strip(path: str) -> str:
    stripped = path.rstrip("/").removesuffix(".git").rstrip("/")
    return stripped or "/"
