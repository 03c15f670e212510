"""Fleet results as text: a progress line per repo, tables and summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paved.fleet.update import FleetUpdate, Outcome, RepoUpdate
from paved.output import table

if TYPE_CHECKING:  # not imported by `fleet update`, which needs neither
    from paved.fleet.adopt import FleetAdopt, RepoAdopt
    from paved.fleet.check import FleetCheck, RepoCheck
    from paved.fleet.status import FleetStatus, RepoStatus

_SUMMARY = ((Outcome.UPDATED, "updated"), (Outcome.WOULD_UPDATE, "would update"),
            (Outcome.CURRENT, "already current"), (Outcome.PROPOSED, "already proposed"),
            (Outcome.SKIPPED, "skipped"), (Outcome.CONFLICT, "conflicts"),
            (Outcome.FAILED, "failed"))

_COUNTED = {"conflicts": "with conflicts"}


def update_line(repo: RepoUpdate) -> str:
    """The progress line of one repo's update."""
    return f"{repo.name}: {repo.outcome.value} ({repo.seconds:.1f}s)"


def status_line(repo: RepoStatus) -> str:
    if repo.error or repo.skipped:
        return f"{repo.name}: {'error' if repo.error else 'skipped'}"
    return f"{repo.name}: v{repo.applied_version}"


def check_line(repo: RepoCheck) -> str:
    return f"{repo.name}: error" if repo.error else f"{repo.name}: score {repo.score}"


def update_summary(result: FleetUpdate) -> str:
    """Every repo grouped by outcome, each with its reason, then one line of counts."""
    lines = []
    for outcome, heading in _SUMMARY:
        repos = [repo for repo in result.repos if repo.outcome is outcome]
        if repos:
            lines.append(f"{heading} ({len(repos)}):")
            lines += [f"  {repo.name}: {repo.reason}" for repo in repos]
    counts = ", ".join(f"{result.counts[outcome.value]} {_COUNTED.get(heading, heading)}"
                       for outcome, heading in _SUMMARY if result.counts[outcome.value])
    needs = sum(result.counts[outcome.value] for outcome in (Outcome.CONFLICT, Outcome.FAILED))
    tail = f"; {needs} need a person" if needs else ""
    if result.interrupted:
        lines.append(f"interrupted ({len(result.not_done)}): {', '.join(result.not_done)}")
        lines.append(f"Interrupted: {len(result.repos)} of "
                     f"{len(result.repos) + len(result.not_done)} repos done: "
                     f"{counts or 'none'}{tail}. Run the same command again to carry on.")
        return "\n".join(lines)
    lines.append(f"{len(result.repos)} repos: {counts or 'none'}{tail}.")
    return "\n".join(lines)


def status_table(result: FleetStatus) -> str:
    with_proposals = any(repo.proposal for repo in result.repos)
    rows = []
    for repo in result.repos:
        if repo.error or repo.skipped:
            rows.append([repo.name] + ["-"] * (7 + with_proposals))
            continue
        drift = f"{repo.drift_count}" + (f" ({repo.managed_drift_count} managed)"
                                     if repo.managed_drift_count else "")
        row = [repo.name, repo.golden_path or "-", f"v{repo.applied_version}",
               f"v{repo.latest_version}", str(repo.behind_by), drift,
               (repo.last_update or "-")[:10]]
        if with_proposals:
            row.append(proposal_cell(repo))
        rows.append(row)
    headers = ["repo", "golden path", "applied", "latest", "behind", "drifted", "last update"]
    lines = [table(rows, headers + (["update proposal"] if with_proposals else []))]
    adoption = ", ".join(f"v{item.version}: {item.repos} ({item.percent:g}%"
                         + (", latest)" if item.latest else ")") for item in result.adoption)
    lines.append(f"\n{len(result.repos)} repos. Adoption: {adoption or 'none'}.")
    if result.proposals:
        lines.append("Update proposals: " + ", ".join(f"{count} {state}" for state, count
                                                      in result.proposals.items()) + ".")
    lines += [f"skipped: {repo.name}: {repo.skipped}" for repo in result.repos if repo.skipped]
    lines += [f"unreadable: {repo.name}: {repo.error}" for repo in result.repos if repo.error]
    if result.interrupted:
        lines.append(f"Interrupted: only the {len(result.repos)} repos above were read.")
    return "\n".join(lines)


def proposal_cell(repo: RepoStatus) -> str:
    found = repo.proposal
    return f"#{found.number} {found.state.value}" if found else "-"


def check_table(result: FleetCheck) -> str:
    rows = [[repo.name, "-" if repo.score is None else str(repo.score),
             str(len(repo.failing)), ", ".join(repo.failing[:3])
             + (" …" if len(repo.failing) > 3 else "")]
            for repo in result.repos if not repo.error]
    lines = [table(rows, ["repo", "score", "failing", "rules"])]
    if result.failing_rules:
        lines.append("\nFailing rules (repos):")
        lines += [f"  {item.rule}: {item.repos}" for item in result.failing_rules]
    if result.repos:
        lines.append("\nFoundations (repos): verified by evidence / configured only / missing:")
        lines += [f"  {item.foundation}: {item.verified} / {item.configured} / {item.missing}"
                  for item in result.foundations]
    average = "-" if result.average_score is None else str(result.average_score)
    lines.append(f"\n{len(result.repos)} repos, average score {average}.")
    lines += [f"unreadable: {repo.name}: {repo.error}" for repo in result.repos if repo.error]
    fetched = sum(len(repo.evidence_fetched) for repo in result.repos)
    notes = [f"  {repo.name}: {note}" for repo in result.repos for note in repo.evidence_notes]
    if fetched or notes:
        lines.append(f"evidence from CI: {fetched} file(s) fetched"
                     + ("; not fetched:" if notes else ""))
    lines += notes
    return "\n".join(lines)


def adopt_line(repo: RepoAdopt) -> str:
    return f"{repo.name}: {repo.outcome.value} ({repo.seconds:.1f}s)"


def adopt_summary(result: FleetAdopt) -> str:
    """Every repo grouped by outcome, each with its reason, then one line of counts."""
    from paved.fleet.adopt import Outcome as Adopted

    lines = []
    for outcome in Adopted:
        repos = [repo for repo in result.repos if repo.outcome is outcome]
        if repos:
            lines.append(f"{outcome.value} ({len(repos)}):")
            lines += [f"  {repo.name}: {repo.reason}" for repo in repos]
    counts = ", ".join(f"{count} {name}" for name, count in result.counts.items() if count)
    if result.not_done:
        lines.append(f"Interrupted: not done: {', '.join(result.not_done)}. Run the same "
                     "command again to carry on.")
    lines.append(f"{len(result.repos)} repos: {counts or 'none'}.")
    return "\n".join(lines)
