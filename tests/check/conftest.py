from __future__ import annotations

from pathlib import Path

import pytest

from tests.check.fixture_repo import compliant_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh repository that passes every rule (tests break one property each)."""
    return compliant_repo(tmp_path / "payments-api")
