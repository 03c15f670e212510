"""What a run of `paved check` was asked for.

Its own module because both the repository under check (`repo`) and the rules
(`rule`) read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CheckOptions:
    """What a run of `paved check` was asked for, visible to every rule."""
    catalog: str | None = None  # compare with this catalog instead of the recorded one
    max_minor_behind: int = 2
    trust: bool = False
    jobs: int = 1  # processes reading Python (the CLI's default: the machine's cores)
    evidence: Path | None = None  # chaos journals and rollback drill records (--evidence DIR)
    # Evidence not found fails its rule (--require-evidence, for CI gates) instead of being
    # reported "unverified" and left out of the score.
    require_evidence: bool = False
