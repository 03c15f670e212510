"""`python -m paved` and the `paved` command.

SIGTERM (and Ctrl-C) are handled from the first moment, before the modules of
the command line are imported: until `paved.cli.main` takes over, they end
the process quietly with exit code 130, as later on (nothing is written
during start-up), instead of dying by the signal or printing a traceback.
"""

from __future__ import annotations

import signal
from typing import NoReturn


def _interrupted(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        from paved import faults

        faults.reached("start-up")
        from paved.cli import main as run
    except KeyboardInterrupt:
        from paved import output
        from paved.errors import ExitCode

        output.error("interrupted; nothing was left half-written")
        raise SystemExit(ExitCode.INTERRUPTED) from None
    run()


if __name__ == "__main__":
    main()
