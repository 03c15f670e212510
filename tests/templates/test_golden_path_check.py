"""A freshly generated golden-path repo passes every rule of `paved check`."""

from __future__ import annotations

from pathlib import Path

from paved.check import builtin_rules, run_check
from paved.check.rule import Status


def test_every_rule_passes_on_a_fresh_render(rendered_service: Path) -> None:
    report = run_check(rendered_service)
    assert report.paved
    statuses = {result.id: result.status for result in report.results}
    assert set(statuses) == {rule.id for rule in builtin_rules()}
    assert {rule: status for rule, status in statuses.items() if status is not Status.PASS} == {}
    assert report.score == 100
