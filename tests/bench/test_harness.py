"""The benchmark harness's pure helpers: statistics, ratios, verdicts, outcomes, the table.

The harness itself is not part of the suite (`make bench` runs it); these would
catch a report that shows the wrong figure or a comparison that lets different
work through.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import fixtures
import harness
from harness import CaseResult, Target, Timing


def _result(**overrides: object) -> CaseResult:
    values: dict[str, object] = {
        "case": "update",
        "timings": [Timing("paved", [0.5, 0.4, 0.6], [0.3, 0.3, 0.3]),
                    Timing("copier", [2.0, 1.0, 3.0], [1.0, 1.0, 1.0])],
        "ratios": {"paved/copier": [0.25, 0.4, 0.2]},
        "targets": [Target("≤ 0.25× copier", "paved/copier", 0.25)],
    }
    return CaseResult(**{**values, **overrides})  # type: ignore[arg-type]


def test_paired_ratios_divide_round_by_round() -> None:
    assert harness.paired_ratios([1.0, 3.0], [2.0, 4.0]) == [0.5, 0.75]


@pytest.mark.parametrize(("first", "second"), [([1.0], [1.0, 2.0]), ([], [])])
def test_paired_ratios_refuse_unpaired_series(first: list[float], second: list[float]) -> None:
    with pytest.raises(ValueError, match="equally long"):
        harness.paired_ratios(first, second)


def test_median_of_an_even_series_is_the_mean_of_the_middle_two() -> None:
    assert harness.median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_verdict_uses_the_median_paired_ratio_not_the_ratio_of_medians() -> None:
    result = _result(ratios={"paved/copier": [0.2, 0.3, 0.26]})
    assert harness.verdict(result, result.targets[0]) == (0.26, False)
    assert harness.verdict(_result(), _result().targets[0]) == (0.25, True)


def test_verdict_in_seconds_reads_the_named_side() -> None:
    target = Target("≤ 0.5 s", "paved", 0.5, seconds=True)
    assert harness.verdict(_result(), target) == (0.5, True)
    assert harness.verdict(_result(), Target("≤ 1 s", "copier", 1.0, seconds=True)) == \
        (2.0, False)


def test_markdown_table_shows_medians_spread_cpu_ratio_and_verdict() -> None:
    table = harness.markdown_table([_result()]).splitlines()
    assert table[0] == ("| case | side | median | min–max | CPU | paired ratio (median) "
                        "| target |")
    assert table[2] == ("| update | paved | 500 ms | 400 ms–600 ms | 300 ms | "
                        "paved/copier = 0.25× | ≤ 0.25× copier: met (0.25×) |")
    assert table[3] == "|  | copier | 2.00 s | 1.00 s–3.00 s | 1.00 s |  |  |"


def test_markdown_table_marks_a_missed_target() -> None:
    table = harness.markdown_table([_result(ratios={"paved/copier": [0.3, 0.3, 0.3]})])
    assert "≤ 0.25× copier: **missed** (0.30×)" in table


def _outcome(files: dict[str, str], conflicts: tuple[str, ...] = ()) -> fixtures.Outcome:
    return fixtures.Outcome(files=files, conflicts=conflicts)


def test_compare_accepts_the_same_work() -> None:
    same = _outcome({"a": "1", "README.md": "conflict"}, ("README.md",))
    assert harness.compare({"paved": same, "copier": same, "cruft": same}) == []


def test_compare_names_missing_files_changed_content_and_conflicts() -> None:
    paved = _outcome({"a": "1", "b": "2", "README.md": "conflict"}, ("README.md",))
    copier = _outcome({"a": "9", "README.md": "x"})
    assert harness.compare({"paved": paved, "copier": copier}) == [
        "paved and copier differ: files in one only: b; different content: README.md, a; "
        "conflicts ['README.md'] vs []"]


def test_outcome_counts_markers_and_rej_files_as_conflicts_and_skips_bookkeeping(
        tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".copier-answers.yml").write_text("_commit: v2.0.0\n")
    (tmp_path / "README.md").write_text("<<<<<<< before updating\nours\n=======\n")
    (tmp_path / "app.py").write_text("print()\n")
    (tmp_path / "app.py.rej").write_text("@@ -1 +1 @@\n")
    (tmp_path / "same.txt").write_text("x\n")
    outcome = fixtures.outcome_of(tmp_path)
    assert outcome.conflicts == ("README.md", "app.py")
    assert outcome.files == {"README.md": "conflict", "app.py": "conflict",
                             "same.txt": hashlib.sha1(b"x\n").hexdigest()}


def test_the_synthetic_change_has_the_same_shape_in_every_flavour() -> None:
    def shape(flavour: fixtures.Flavour, v2: bool) -> set[str]:
        files = fixtures._files(46, flavour, v2)
        return {name.removeprefix(flavour.prefix).removesuffix(flavour.suffix)
                for name in files if name.startswith(flavour.prefix)} - {
                    "copier.yml", "{{ _copier_conf.answers_file }}"}

    for v2 in (False, True):
        assert shape(fixtures.PAVED, v2) == shape(fixtures.COOKIECUTTER, v2) == \
            shape(fixtures.COPIER, v2)
    assert {"src/added.txt", "src/renamed_2.txt"} <= shape(fixtures.PAVED, True)
    assert "src/module_1.txt" not in shape(fixtures.PAVED, True)


def test_verdict_of_an_at_least_target_is_met_at_or_above_the_limit() -> None:
    result = _result(ratios={"jobs 1/jobs 2": [1.6, 1.8, 1.7]})
    assert harness.verdict(result, Target("≥ 1.7×", "jobs 1/jobs 2", 1.7, at_least=True)) == \
        (1.7, True)
    assert harness.verdict(result, Target("≥ 1.8×", "jobs 1/jobs 2", 1.8, at_least=True)) == \
        (1.7, False)
