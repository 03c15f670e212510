"""Where paved keeps its cache, and settings read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

CATALOG_ENV = "PAVED_CATALOG"
CACHE_ENV = "PAVED_CACHE_DIR"


def cache_dir() -> Path:
    """`$PAVED_CACHE_DIR`, else `$XDG_CACHE_HOME/paved`, else `~/.cache/paved`."""
    if explicit := os.environ.get(CACHE_ENV):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paved"


def default_catalog_source() -> str:
    """`$PAVED_CATALOG`, else the catalog bundled with paved."""
    return os.environ.get(CATALOG_ENV) or "bundled"
