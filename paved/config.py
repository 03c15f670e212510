"""Where paved keeps its cache, and settings read from the environment and config file.

The config file (`$PAVED_CONFIG`, else `$XDG_CONFIG_HOME/paved/config.yml`, else
`~/.config/paved/config.yml`) is optional YAML:

    trusted_catalogs:            # catalogs allowed to run code (copier tasks,
      - https://github.com/acme/paved-catalog.git   # migrations, extensions)
      - /srv/catalogs/*          # a trailing * trusts every source under a prefix
"""

from __future__ import annotations

import os
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
    return os.environ.get(CATALOG_ENV) or "bundled"


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
    """True when the config file trusts catalog `source` to run code."""
    for trusted in trusted_catalogs():
        if trusted == source or (trusted.endswith("*") and source.startswith(trusted[:-1])):
            return True
    return False
