"""Fixtures for testing the bundled catalog's golden paths as rendered output."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved.create import create_service


@pytest.fixture(scope="session")
def rendered_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python-service golden path rendered once with its defaults (read-only for tests)."""
    dest = tmp_path_factory.mktemp("golden") / "payments-api"
    create_service("payments-api", dest=dest, data={"owner": "team-payments"}, use_git=False)
    return dest
