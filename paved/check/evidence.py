"""Evidence: failure tolerance that was verified, not only configured.

The other areas read configuration and code. These rules read what proves it:
a chaos experiment covering the failure modes the golden path designs for
(timeouts, retry budget, breaker, shedding, deadlines), the journal of its
latest run (passed), and the latest rollback drill (decision to healthy under
five minutes, measured on a cluster). Journals and drill records are found
among the repository's files and in the `--evidence DIR` folder (where a CI
job's artifacts are downloaded); the newest of each counts.

Evidence that was not found is "unverified": a finding whose evidence names the
command that produces it, left out of the score (the score says what is
configured; `--require-evidence` makes it a failure, for CI gates). Evidence
that was found and shows a failure (a failed chaos run, a drill over five
minutes, a journal of another experiment) is a failure like any other. The
experiment itself is part of the repository, so a missing one is a failure.

Figures: the rollback drill's are measured; rollback/worst-case-time's are
computed from the manifests (paved.delivery.rollout), never measured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from paved.check.repo import Repo
from paved.check.rollback import MAX_ROLLBACK_SECONDS, workflows_about
from paved.check.rule import (
    Evidence,
    Outcome,
    Rule,
    Severity,
    failed,
    found,
    missing,
    not_applicable,
    restore,
    unverified,
)

AREA = "evidence"
EXPERIMENT = "chaos/experiment.json"
PROPERTIES = ("timeouts", "retry budget", "breaker", "shedding", "deadlines")
DRILL_KIND = "paved-rollback-drill"
DRILL_ROLLBACKS = ("automatic", "workflow")
MAX_EVIDENCE_BYTES = 16 * 1024 * 1024
MAKE_CHAOS = ("run `make chaos` (it writes chaos/journal.json) and pass `--evidence chaos`, "
              "or download the CI job's artifact (`gh run download --name chaos-journal "
              "--dir evidence`) and pass `--evidence evidence`")
RUN_DRILL = ("run deploy/scripts/drill.sh on a throwaway cluster (the rollback-drill CI job, "
             "answer rollback_drill: true) and pass the folder of its drill.json with "
             "`--evidence DIR`")


@dataclass(frozen=True)
class Found:
    where: str  # a repository path, or a path under --evidence
    data: Mapping[str, Any]


def _experiments(repo: Repo) -> list[Found]:
    """Chaos Toolkit experiments among the repository's files under chaos/."""
    experiments = []
    for path in repo.matching(r"(^|/)chaos/[^/]+\.(json|ya?ml)$"):
        if "journal" in path.rsplit("/", 1)[-1]:
            continue
        documents = repo.yaml_documents(path)  # YAML reads JSON too
        data = documents[0] if len(documents) == 1 else None
        if isinstance(data, Mapping) and "method" in data and "title" in data:
            experiments.append(Found(path, data))
    return experiments


def _documents(repo: Repo) -> Iterator[Found]:
    """Every JSON document that may be evidence: repository files named *journal*.json or
    *drill*.json, and every .json file under --evidence."""
    for path in repo.matching(r"(journal|drill)[^/]*\.json$"):
        data = _parse(repo.text(path))
        if data is not None:
            yield Found(path, data)
    folder = repo.options.evidence
    if folder is None:
        return
    for file in sorted(folder.rglob("*.json")):
        if file.is_file() and not file.is_symlink() and file.stat().st_size <= MAX_EVIDENCE_BYTES:
            data = _parse(file.read_text(encoding="utf-8", errors="replace"))
            if data is not None:
                yield Found(str(file), data)


def _parse(text: str | None) -> Mapping[str, Any] | None:
    try:
        data = json.loads(text) if text else None
    except (ValueError, RecursionError):  # a downloaded artifact is hostile: `[[[[…`
        return None
    return data if isinstance(data, Mapping) else None


def _journals(repo: Repo) -> list[Found]:
    return [doc for doc in _documents(repo)
            if "chaoslib-version" in doc.data and isinstance(doc.data.get("experiment"), Mapping)]


def _drills(repo: Repo) -> list[Found]:
    return [doc for doc in _documents(repo) if doc.data.get("kind") == DRILL_KIND]


def _newest(documents: list[Found], key: str) -> Found:
    return max(documents, key=lambda doc: str(doc.data.get(key, "")))


def hypotheses(experiment: Mapping[str, Any]) -> list[str]:
    """The names of the probes of an experiment's method: its hypotheses under a fault."""
    method = experiment.get("method")
    return [str(activity.get("name", "")) for activity in method if isinstance(activity, Mapping)
            and activity.get("type") == "probe"] if isinstance(method, list) else []


def _deployable(repo: Repo) -> bool:
    return bool(repo.pod_specs or workflows_about(repo, "deploy"))


def check_experiment(repo: Repo) -> Outcome:
    experiments = _experiments(repo)
    if not experiments:
        if not _deployable(repo):
            return not_applicable("nothing is deployed from this repository")
        return missing("no chaos experiment", Evidence(repo.at(EXPERIMENT), None,
                                                       "no Chaos Toolkit experiment under chaos/"))
    names = [name for experiment in experiments for name in hypotheses(experiment.data)]
    covered = {name.split(":", 1)[0].strip().lower() for name in names if ":" in name}
    absent = [prop for prop in PROPERTIES if prop not in covered]
    where = experiments[0].where
    if absent:
        return failed(f"the chaos experiment tests no hypothesis about {', '.join(absent)}",
                      Evidence(where, None, f"no probe of the method named `{absent[0]}: …`"))
    return found(f"the chaos experiment covers {', '.join(PROPERTIES)} "
                 f"({len(names)} hypotheses)", Evidence(where, None, "found"))


def journal_verdicts(journal: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(passed, names of the hypotheses that failed) of a Chaos Toolkit journal."""
    rejected = []
    states = _mapping(journal.get("steady_states"))
    for phase in ("before", "after"):
        state = _mapping(states.get(phase))
        rejected += [_name(run) for run in _runs(state.get("probes"))
                     if run.get("tolerance_met") is False or run.get("status") == "failed"]
    for key in ("run", "rollbacks"):
        rejected += [_name(run) for run in _runs(journal.get(key)) if run.get("status") == "failed"]
    passed = journal.get("status") == "completed" and not journal.get("deviated") and not rejected
    return passed, rejected


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _runs(value: Any) -> list[Mapping[str, Any]]:
    return [run for run in value if isinstance(run, Mapping)] if isinstance(value, list) else []


def _name(run: Mapping[str, Any]) -> str:
    activity = run.get("activity")
    return str(activity.get("name", "?")) if isinstance(activity, Mapping) else "?"


def check_journal(repo: Repo) -> Outcome:
    journals = _journals(repo)
    if not journals:
        if not _experiments(repo) and not _deployable(repo):
            return not_applicable("no chaos experiment and nothing deployed")
        return unverified("no chaos journal: failure tolerance is configured, not verified",
                          Evidence(repo.at("chaos/journal.json"), None,
                                   f"not found: {MAKE_CHAOS}"))
    latest = _newest(journals, "end")
    passed, rejected = journal_verdicts(latest.data)
    title = str(latest.data["experiment"].get("title", "?"))
    when = str(latest.data.get("end", "an unknown time"))
    titles = {str(experiment.data.get("title")) for experiment in _experiments(repo)}
    if titles and title not in titles:
        return failed("the latest chaos journal is of another experiment",
                      Evidence(latest.where, None, f"journal of {title!r}; the repository's: "
                                                   f"{', '.join(sorted(titles))}"))
    count = len(hypotheses(latest.data["experiment"]))
    if not passed:
        status, deviated = latest.data.get("status"), bool(latest.data.get("deviated"))
        detail = (f"rejected: {'; '.join(rejected)}" if rejected else
                  f"status {status}, deviated {deviated}")
        return failed(f"measured: the chaos run of {when} failed", Evidence(latest.where, None,
                                                                            detail))
    return found(f"measured: the chaos run of {when} passed ({count} hypotheses under faults)",
                 Evidence(latest.where, None, str(latest.data.get("status"))))


def check_drill(repo: Repo) -> Outcome:
    drills = _drills(repo)
    if not drills:
        if not _deployable(repo):
            return not_applicable("nothing is deployed from this repository")
        return unverified("no rollback drill measured: only the computed estimate "
                          "(rollback/worst-case-time) stands",
                          Evidence(repo.at("deploy/drill.json"), None, f"not found: {RUN_DRILL}"))
    latest = _newest(drills, "finished")
    rollbacks = {str(item.get("kind")): item for item in _runs(latest.data.get("rollbacks"))}
    problems = [f"{kind} rollback not measured" for kind in DRILL_ROLLBACKS
                if kind not in rollbacks]
    figures = []
    for kind in DRILL_ROLLBACKS:
        seconds = rollbacks.get(kind, {}).get("decision_to_healthy_seconds")
        if kind not in rollbacks:
            continue
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            problems.append(f"{kind} rollback: no decision_to_healthy_seconds")
            continue
        figures.append(f"{kind} {seconds:g} s")
        if seconds > MAX_ROLLBACK_SECONDS:
            problems.append(f"{kind} rollback took {seconds:g} s (at most {MAX_ROLLBACK_SECONDS})")
    when = str(latest.data.get("finished", "an unknown time"))
    if problems:
        return failed(f"measured: the rollback drill of {when} failed",
                      Evidence(latest.where, None, "; ".join(problems)))
    return found(f"measured: decision to healthy {', '.join(figures)} in the drill of {when}",
                 Evidence(latest.where, None, "found"))


RULES = (
    Rule("evidence/chaos-experiment", AREA,
         "A chaos experiment covers timeouts, retry budget, breaker, shedding and deadlines",
         "Failure tolerance is a set of hypotheses; only an experiment that injects the faults "
         "they are about can show they hold.", Severity.HIGH,
         "Add chaos/experiment.json (Chaos Toolkit) with a probe per hypothesis named "
         f"`<property>: …`. {restore(EXPERIMENT)}",
         check_experiment),
    Rule("evidence/chaos-journal", AREA, "The latest chaos experiment run passed",
         "Configured timeouts, budgets and breakers are claims until a run under injected "
         "faults measured them.", Severity.MEDIUM, f"To produce it, {MAKE_CHAOS}.",
         check_journal),
    Rule("evidence/rollback-drill", AREA, "A rollback drill measured decision to healthy ≤ 300 s",
         "The worst-case rollback time of rollback/worst-case-time is computed from the "
         "manifests; only a drill on a cluster measures it.", Severity.MEDIUM,
         f"To produce it, {RUN_DRILL}.", check_drill),
)
