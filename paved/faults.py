"""Fault injection points, so tests can kill or hold paved at exact places.

Inert unless a test sets the environment: `PAVED_TEST_KILL_AT=N` sends SIGKILL
to the process at its Nth `checkpoint()` (every step of an update's visible
part is one, see docs/architecture.md); `PAVED_TEST_FAULTS=DIR` makes each
`reached(name)` leave `DIR/name.reached`, and a name listed in
`PAVED_TEST_PAUSE_AT` (comma-separated) then waits there until `DIR/name.go`
exists. Tests order two processes with these files, never with sleeps.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

KILL_ENV = "PAVED_TEST_KILL_AT"
FAULTS_ENV = "PAVED_TEST_FAULTS"
PAUSE_ENV = "PAVED_TEST_PAUSE_AT"
_PAUSE_LIMIT = 300.0  # seconds: a test that never says go must not leave paved hanging
_reached = 0


def checkpoint() -> None:
    """A point where the kill test may stop the process (`PAVED_TEST_KILL_AT=N`)."""
    global _reached
    wanted = os.environ.get(KILL_ENV)
    if wanted:
        _reached += 1
        if _reached == int(wanted):
            os.kill(os.getpid(), signal.SIGKILL)


def reached(name: str) -> None:
    """Say that the process got to `name`; hold it there when a test asks to."""
    folder = os.environ.get(FAULTS_ENV)
    if not folder:
        return
    (Path(folder) / f"{name}.reached").write_text(str(os.getpid()), encoding="utf-8")
    if name not in os.environ.get(PAUSE_ENV, "").split(","):
        return
    go = Path(folder) / f"{name}.go"
    deadline = time.monotonic() + _PAUSE_LIMIT
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
