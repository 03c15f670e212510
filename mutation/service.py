"""`make mutate-service`: the generated service's policy modules, mutated in a render.

The python-service golden path is rendered with its defaults (`paved new service
payments-api`), given its own virtual environment (`pip install -e '.[test]'`,
pip's cache shared with the test suite's), and each module is mutated against
the render's own tests that pin it: the render's tests are the service team's,
so this measures what a generated repo's suite catches.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_CACHE = ROOT / ".tools" / "pip-cache"  # tests/helpers.py's, shared
NAME, PACKAGE = "payments-api", "payments_api"
PLATFORM = f"src/{PACKAGE}/platform"

#: module (in the render) -> the render's tests that pin it.
SCOPES: dict[str, tuple[str, ...]] = {
    f"{PLATFORM}/budget.py": ("tests/test_budget_and_breaker.py",),
    f"{PLATFORM}/breaker.py": ("tests/test_budget_and_breaker.py",),
    f"{PLATFORM}/window.py": ("tests/test_budget_and_breaker.py",),
    f"{PLATFORM}/deadline.py": ("tests/test_outbound_client.py", "tests/test_server.py"),
    f"{PLATFORM}/client.py": ("tests/test_outbound_client.py", "tests/test_instances.py"),
    f"{PLATFORM}/logs.py": ("tests/test_observability.py",),
    f"{PLATFORM}/outcome.py": ("tests/test_outbound_client.py", "tests/test_instances.py"),
}


def prepare(where: Path) -> tuple[Path, str]:
    """Render the service under `where` with a venv; its path and its venv's python."""
    project = where / NAME
    subprocess.run([sys.executable, "-m", "paved", "new", "service", NAME, "--dest", str(project),
                    "--defaults", "--data", "owner=team-payments"],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    subprocess.run([sys.executable, "-m", "venv", str(project / ".venv")], check=True)
    python = str(project / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "-e", ".[test]"], cwd=project,
                   check=True, env={**os.environ, "PIP_CACHE_DIR": str(PIP_CACHE)})
    return project, python


if __name__ == "__main__":  # python mutation/service.py DIR: a render to reuse (run.py --render)
    print(prepare(Path(sys.argv[1]))[0])
