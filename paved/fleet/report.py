"""The fleet report: one self-contained HTML page a platform team can publish.

Rendered from `report.html.j2` (package data beside this module) by Jinja with
autoescaping on: inline CSS, no scripts, fonts or images from elsewhere. Links
go only to the repos and their pull requests, and only over http(s) or file:.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from paved.fleet.check import FleetCheck
from paved.fleet.status import FleetStatus

TEMPLATE = "report.html.j2"
SAFE_SCHEMES = ("https://", "http://", "file:")


@dataclass(frozen=True)
class Cell:
    text: str
    style: str = ""


@dataclass(frozen=True)
class HeatRow:
    name: str
    url: str
    cells: tuple[Cell, ...]


def html(status: FleetStatus, *, check: FleetCheck | None = None, generated: str = "") -> str:
    from jinja2 import Environment, StrictUndefined

    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)
    environment.filters["safe_url"] = safe_url
    template = environment.from_string(
        resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8"))
    return template.render(_context(status, check, generated))


def _context(status: FleetStatus, check: FleetCheck | None, generated: str) -> dict[str, Any]:
    repos = list(status.repos)
    with_proposals = any(repo.proposal for repo in repos)
    columns = 7 + with_proposals + (check is not None)
    scores = {repo.name: repo.score for repo in check.repos
              if repo.score is not None} if check else {}
    areas, heat = _heat(status, check) if check else ([], [])
    return {
        "generated": generated, "total": len(repos), "latest": status.latest_version,
        "paved": sum(1 for repo in repos if repo.applied_version),
        "skipped": status.skipped, "unreadable": status.unreadable,
        "adoption": status.adoption, "proposals": status.proposals, "repos": repos,
        "with_proposals": with_proposals, "columns": columns, "check": check is not None,
        "scores": scores, "areas": areas, "heat": heat,
        "drifted": [(index, repo) for index, repo in enumerate(repos, 1) if repo.drift_count],
        "failing_rules": check.failing_rules if check else (),
    }


def safe_url(url: str) -> str:
    """`url` when it is http(s) or file:, else "" (no `javascript:` from a hostile list)."""
    return url if url.lower().startswith(SAFE_SCHEMES) else ""


def _heat(status: FleetStatus, check: FleetCheck) -> tuple[list[str], list[HeatRow]]:
    """Check area names in first-seen order, and one row of scores per checked repo."""
    areas: list[str] = []
    for repo in check.repos:
        areas += [area for area in (repo.areas or {}) if area not in areas]
    urls = {repo.name: repo.url for repo in status.repos}
    rows = []
    for repo in check.repos:
        if repo.error or repo.areas is None:
            continue
        cells = [_cell(repo.areas.get(area)) for area in areas] + [_cell(repo.score)]
        rows.append(HeatRow(repo.name, urls.get(repo.name, ""), tuple(cells)))
    return areas, rows


def _cell(score: int | None) -> Cell:
    if score is None:
        return Cell("n/a")
    hue = round(max(0, min(100, score)) * 1.2)  # 0 red … 120 green
    return Cell(str(score), f"background:hsl({hue},70%,82%)")
