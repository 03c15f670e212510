"""A small sampled run of `make mutate` (docs/testing.md): seeded mutants of the merge
decisions, each of which paved/update/merge.py's unit tests must kill."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_sampled_mutants_of_the_merge_decisions_are_all_killed() -> None:
    run = subprocess.run([sys.executable, "mutation/run.py", "--sample", "6", "--seed", "25",
                          "paved/update/merge.py"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.splitlines()[-1] == "| `paved/update/merge.py` | 6 | 6 | 0 | 0 | 100.0 % |"
