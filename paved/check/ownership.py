"""Ownership and learning: someone owns the service and the team learns from failure.

An owner is named (catalog-info.yaml or CODEOWNERS), a runbook covers at least
five failure modes, a postmortem template exists, and CI runs the tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from paved import yaml
from paved.check.repo import Repo
from paved.check.rollback import jobs, steps, workflows_about
from paved.check.rule import (
    Evidence,
    Outcome,
    Rule,
    Severity,
    found,
    missing,
    not_applicable,
    restore,
)

AREA = "ownership"
MIN_FAILURE_MODES = 5
CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
# Runbook sections that are not failure modes.
NOT_FAILURE_MODES = re.compile(r"^(contacts?|overview|introduction|escalation|references?|"
                               r"where to look|links|dashboards|on-?call|table of contents)\b",
                               re.IGNORECASE)
TEST_COMMANDS = re.compile(r"\bpytest\b|\bmake\s+(test|check)\b|\btox\b|\bnox\b|\bhatch\s+test\b|"
                           r"\bnpm\s+(run\s+)?test\b|\bgo\s+test\b|\bcargo\s+test\b|"
                           r"\bmvn\b.*\b(test|verify)\b|\bgradle\w*\s+.*\btest\b|"
                           r"\bunittest\b", re.IGNORECASE)


def check_owner(repo: Repo) -> Outcome:
    catalog_info = [path for path in repo.files if path.rsplit("/", 1)[-1] in
                    ("catalog-info.yaml", "catalog-info.yml")]
    for path in catalog_info:
        for document in repo.yaml_documents(path):
            spec = document.get("spec") if isinstance(document, Mapping) else None
            if isinstance(spec, Mapping) and str(spec.get("owner") or "").strip():
                return found(f"owned by {spec['owner']}",
                             Evidence(path, yaml.line_of(spec, "owner"), "spec.owner"))
    for path in CODEOWNERS:
        line = repo.line_of_text(path, r"^\s*[^#\s]\S*\s+\S*@")
        if line:
            return found("CODEOWNERS names an owner", Evidence(path, line, "owner"))
    where = catalog_info[0] if catalog_info else repo.at("catalog-info.yaml")
    return missing("no owner: neither catalog-info.yaml spec.owner nor CODEOWNERS",
                   Evidence(where, 1 if catalog_info else None, "no owner named"))


def runbooks(repo: Repo) -> tuple[str, ...]:
    return repo.matching(r"(^|/)(docs/)?[^/]*runbook[^/]*\.(md|rst|txt)$")


def failure_modes(text: str) -> list[str]:
    """Second-level headings of a Markdown runbook, other than the usual non-modes."""
    headings = []
    for line in text.splitlines():
        match = re.match(r"^##\s+(?:\d+[.)]\s*)?(.+?)\s*#*\s*$", line)
        if match and not NOT_FAILURE_MODES.match(match.group(1)):
            headings.append(match.group(1))
    return headings


def check_runbook(repo: Repo) -> Outcome:
    books = runbooks(repo)
    if not books:
        return missing("no runbook", Evidence(repo.at("docs/runbook.md"), None, "missing"))
    best = max(books, key=lambda path: len(failure_modes(repo.text(path) or "")))
    modes = failure_modes(repo.text(best) or "")
    if len(modes) >= MIN_FAILURE_MODES:
        return found(f"{best} covers {len(modes)} failure modes", Evidence(best, 1, "runbook"))
    return missing(f"{best} covers {len(modes)} failure mode(s), fewer than "
                  f"{MIN_FAILURE_MODES}", Evidence(best, 1, f"{len(modes)} failure mode(s) "
                                                    f"(`## ` sections)"))


def check_postmortem(repo: Repo) -> Outcome:
    templates = repo.matching(r"post-?mortem[^/]*\.(md|rst|txt|ya?ml)$")
    for path in templates:
        if (repo.text(path) or "").strip():
            return found("a postmortem template exists", Evidence(path, 1, "template"))
    if templates:
        return missing("the postmortem template is empty", Evidence(templates[0], 1, "empty"))
    return missing("no postmortem template", Evidence(repo.at("docs/postmortem.md"), None,
                                                      "missing"))


def check_tests_in_ci(repo: Repo) -> Outcome:
    workflows = [workflow for workflow in repo.workflows
                 if workflow not in workflows_about(repo, "rollback")]
    for workflow in workflows:
        for _, job, _ in jobs(workflow):
            for step, items in steps(job):
                if TEST_COMMANDS.search(str(step.get("run", ""))):
                    return found("CI runs the tests",
                                 Evidence(workflow.path, yaml.line_of(items, items.index(step)),
                                          str(step.get("run")).strip().splitlines()[0]))
    for path in (".gitlab-ci.yml", "Jenkinsfile", ".circleci/config.yml", "azure-pipelines.yml"):
        line = repo.line_of_text(path, TEST_COMMANDS.pattern)
        if line:
            return found("CI runs the tests", Evidence(path, line, "tests"))
    if not repo.workflows and not repo.source_files:
        return not_applicable("no CI configuration and no code")
    where = workflows[0].path if workflows else ".github/workflows/ci.yml"
    return missing("CI does not run the tests", Evidence(where, 1 if workflows else None,
                                                         "no test command"))


RULES = (
    Rule("ownership/owner", AREA, "An owner is named",
         "Alerts, reviews and incidents need a team to go to; unowned services rot.",
         Severity.MEDIUM,
         "Set spec.owner in catalog-info.yaml (Backstage) or name the team in CODEOWNERS. "
         "In a repo paved generated: `paved update --data owner=TEAM` renders both with "
         "that owner (one commit; `paved restore catalog-info.yaml CODEOWNERS` when they "
         "were deleted).", check_owner),
    Rule("ownership/runbook", AREA, f"The runbook covers ≥ {MIN_FAILURE_MODES} failure modes",
         "At 3 a.m. the on-call engineer follows the runbook, not their memory; each "
         "common failure mode needs its signs and its first actions.", Severity.MEDIUM,
         f"Keep docs/runbook.md with one `## ` section per failure mode (at least "
         f"{MIN_FAILURE_MODES}: dependency down, latency, bad deploy, overload, bad "
         f"configuration…). {restore('docs/runbook.md')}", check_runbook),
    Rule("ownership/postmortem-template", AREA, "A postmortem template exists",
         "Blameless postmortems with owned action items are how a team stops repeating "
         "the same incident.", Severity.LOW,
         f"Keep docs/postmortem.md. {restore('docs/postmortem.md')}", check_postmortem),
    Rule("ownership/tests-in-ci", AREA, "CI runs the tests",
         "Autonomy to deploy rests on tests that run on every change, not on trust.",
         Severity.MEDIUM,
         "Run the tests (`make test`, pytest…) in a CI workflow on pull requests. "
         f"{restore('.github/workflows/ci.yml')}",
         check_tests_in_ci),
)
