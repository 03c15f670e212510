"""Small runs of `make mutate` (docs/testing.md): every mutant issue 25 names in paved, each
killed by its named test, and seeded mutants of the merge decisions, which merge.py's tests
must kill."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_every_mutant_the_issue_names_in_paved_is_killed_by_its_named_test() -> None:
    run = subprocess.run([sys.executable, "mutation/named.py"], cwd=ROOT, capture_output=True,
                         text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = run.stdout.splitlines()
    assert len(rows) == 2 + 10 and all(row.endswith("| yes |") for row in rows[2:])
    # docs/testing.md shows this very table.
    assert run.stdout.strip() in (ROOT / "docs" / "testing.md").read_text()


def test_sampled_mutants_of_the_merge_decisions_are_all_killed() -> None:
    run = subprocess.run([sys.executable, "mutation/run.py", "--sample", "6", "--seed", "25",
                          "paved/update/merge.py"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # Which six depends on merge.py's code: every one is killed or listed as equivalent.
    cells = [cell.strip() for cell in run.stdout.splitlines()[-1].strip("|").split("|")]
    module, mutants, killed, survived, equivalent, score = cells
    assert (module, mutants, survived, score) == ("`paved/update/merge.py`", "6", "0", "100.0 %")
    assert int(killed) + int(equivalent) == 6
