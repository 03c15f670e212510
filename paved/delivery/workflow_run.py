"""A GitHub Actions workflow's `run:` steps, run here as the workflow defines them.

What a pull request would run, without GitHub: the jobs in `needs` order, each
`run:` step in order with the shell, working directory and `env:` GitHub
would use (`bash --noprofile --norc -eo pipefail`), the variables a runner sets
(CI, GITHUB_*, RUNNER_TEMP; GITHUB_ENV and GITHUB_PATH honoured between steps,
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY writable) and the tool versions the steps
themselves install (paved.delivery.job_env keeps that environment).
The project directory is the checkout (`actions/checkout`); `actions/setup-python`
puts that Python on PATH (the nearest one here, noted, when it is missing);
`actions/setup-node` uses the node on PATH (noted when its major version differs);
`actions/upload-artifact` uploads nothing but fails, as on GitHub, when no file
matches its `path` and `if-no-files-found` is `error`.

Skipped, each with its reason and never counted as passed: steps that need a
container engine or a cluster (docker, kubectl, kind, … in the step or in a
repository script it runs) and the jobs that need them; and what cannot be
evaluated here (another action, an unsupported `if:` or expression, a
reusable workflow), which makes the run incomplete.
"""

from __future__ import annotations

import itertools
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved import yaml
from paved.delivery.job_env import JobEnvironment, Unsupported
from paved.errors import InputError

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
OUTPUT_TAIL_LINES = 20
# A container engine or a cluster, in command position (a line's start, after ; & | ( or $().
ENGINE = re.compile(r"(?:^|[;&|(`]|\$\()\s*(?:sudo\s+|exec\s+)?"
                    r"(docker|podman|buildah|kubectl|kind|helm|minikube|k3d|skaffold)(?![\w-])",
                    re.MULTILINE)
_SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
           "sh": ["sh", "-e", "{0}"], "python": [sys.executable, "{0}"]}


@dataclass(frozen=True)
class StepRun:
    job: str
    name: str
    status: str  # passed | failed | skipped
    seconds: float = 0.0
    detail: str = ""  # why it was skipped, or the tail of its output when it failed
    needs_engine: bool = False  # skipped for a container engine or a cluster: expected here


@dataclass(frozen=True)
class WorkflowRun:
    workflow: str
    steps: tuple[StepRun, ...]
    notes: tuple[str, ...]

    @property
    def failed(self) -> tuple[StepRun, ...]:
        return tuple(step for step in self.steps if step.status == FAILED)

    @property
    def incomplete(self) -> tuple[StepRun, ...]:
        """Steps skipped for another reason than a container engine or a cluster."""
        return tuple(step for step in self.steps
                     if step.status == SKIPPED and not step.needs_engine)


def run_workflow(project: Path, workflow: str, *, timeout: float = 1800,
                 progress: Callable[[str], None] = lambda message: None) -> WorkflowRun:
    """Run the `run:` steps of `workflow` (a path inside `project`), job by job."""
    data = yaml.plain(yaml.load(project / workflow))
    jobs = data.get("jobs") if isinstance(data, Mapping) else None
    if not _well_formed(jobs):
        raise InputError(f"{workflow} is not a GitHub workflow: `jobs` must map names to jobs "
                         "whose `steps` are a list of mappings")
    assert isinstance(jobs, Mapping) and isinstance(data, Mapping)
    steps: list[StepRun] = []
    notes: list[str] = []
    outcome: dict[str, StepRun | None] = {}  # job -> its first failed/skipped-for-cause step
    with tempfile.TemporaryDirectory(prefix="paved-runner-") as temporary:
        runner = _Runner(project, Path(temporary), data.get("env") or {}, timeout, progress)
        for name in _ordered(jobs):
            job = jobs[name]
            blocked = next((outcome[need] for need in _needs(job) if outcome.get(need)), None)
            reason = _job_skip(job, blocked)
            if reason is not None:
                skipped = StepRun(name, "(job)", SKIPPED, detail=reason[0], needs_engine=reason[1])
                steps.append(skipped)
                outcome[name] = skipped
                continue
            for matrix in _combinations((job.get("strategy") or {}).get("matrix") or {}):
                ran = runner.job(name, job, matrix)
                steps += ran
                outcome[name] = next((s for s in ran if s.status == FAILED or
                                      (s.status == SKIPPED and s.needs_engine)), None)
        notes += runner.notes
    return WorkflowRun(workflow=workflow, steps=tuple(steps), notes=tuple(dict.fromkeys(notes)))


def _well_formed(jobs: object) -> bool:
    return isinstance(jobs, Mapping) and bool(jobs) and all(
        isinstance(job, Mapping) and isinstance(job.get("steps", []), list)
        and all(isinstance(step, Mapping) for step in job.get("steps", []))
        for job in jobs.values())


def _ordered(jobs: Mapping[str, Any]) -> list[str]:
    order: list[str] = []
    pending = list(jobs)
    while pending:
        ready = [name for name in pending if all(need in order or need not in jobs
                                                 for need in _needs(jobs[name]))]
        if not ready:  # a cycle: GitHub refuses the workflow; run them in file order
            ready = pending[:1]
        order.append(ready[0])
        pending.remove(ready[0])
    return order


def _needs(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else [str(need) for need in needs]


def _job_skip(job: Mapping[str, Any], blocked: StepRun | None) -> tuple[str, bool] | None:
    if blocked is not None:
        verb = "failed" if blocked.status == FAILED else "was skipped"
        return f"needs job {blocked.job}, which {verb}", blocked.needs_engine
    if "uses" in job:
        return f"calls the reusable workflow {job['uses']}: run it on its own", False
    if "if" in job:
        return f"if: {job['if']} is not evaluated locally", False
    return None


def _combinations(matrix: Mapping[str, Any]) -> list[dict[str, Any]]:
    keys = [key for key in matrix if key not in ("include", "exclude")]
    combos = [dict(zip(keys, values, strict=True))
              for values in itertools.product(*(matrix[key] for key in keys))]
    excluded = matrix.get("exclude") or []
    combos = [combo for combo in combos
              if not any(all(combo.get(k) == v for k, v in rule.items()) for rule in excluded)]
    return (combos if keys else []) + [dict(extra) for extra in matrix.get("include") or []] \
        or [{}]


class _Runner:
    """Runs the steps of jobs in one project, keeping what GitHub keeps between steps."""

    def __init__(self, project: Path, temporary: Path, workflow_env: Mapping[str, Any],
                 timeout: float, progress: Callable[[str], None]) -> None:
        self.project, self.temporary, self.timeout = project, temporary, timeout
        self.workflow_env, self.progress = workflow_env, progress
        self.notes: list[str] = []

    def job(self, name: str, job: Mapping[str, Any], matrix: Mapping[str, Any]) -> list[StepRun]:
        label = name + (f" ({', '.join(map(str, matrix.values()))})" if matrix else "")
        context = JobEnvironment(self.project, self.temporary, matrix)
        env = {**self.workflow_env, **(job.get("env") or {})}
        defaults = {**((job.get("defaults") or {}).get("run") or {})}
        limit = min(self.timeout, float(job.get("timeout-minutes") or 360) * 60)
        started = time.monotonic()
        results: list[StepRun] = []
        for step in job.get("steps") or []:
            title = str(step.get("name") or step.get("uses")
                        or (str(step.get("run", "")).strip().splitlines() or ["(step)"])[0])
            failed = any(result.status == FAILED for result in results)
            condition = str(step.get("if", "success()")).strip()
            if condition not in ("success()", "always()", "failure()", "!cancelled()"):
                results.append(StepRun(label, title, SKIPPED,
                                       detail=f"if: {condition} is not evaluated locally"))
                continue
            if (condition == "failure()") != failed and condition not in ("always()",
                                                                          "!cancelled()"):
                if failed:
                    results.append(StepRun(label, title, SKIPPED, detail="an earlier step "
                                                                         "failed"))
                continue
            remaining = limit - (time.monotonic() - started)
            self.progress(f"{label}: {title}")
            results.append(self.step(label, title, step, env, defaults, context, remaining))
        return results

    def step(self, job: str, title: str, step: Mapping[str, Any], job_env: Mapping[str, Any],
             defaults: Mapping[str, Any], context: JobEnvironment, remaining: float) -> StepRun:
        if "uses" in step:
            return self.action(job, title, step, context)
        script = str(step.get("run", ""))
        engine = self.needs_engine(script)
        if engine:
            return StepRun(job, title, SKIPPED, detail=f"needs {engine}, which is not run "
                           "locally", needs_engine=True)
        try:
            env = {str(k): context.evaluate(str(v)) for k, v in {**job_env,
                                                                 **(step.get("env") or {})}.items()}
            script = context.evaluate(script)
        except Unsupported as error:
            return StepRun(job, title, SKIPPED, detail=str(error))
        shell = str(step.get("shell") or defaults.get("shell") or "bash")
        if shell not in _SHELLS:
            return StepRun(job, title, SKIPPED, detail=f"shell {shell} is not run locally")
        workdir = self.project / str(step.get("working-directory")
                                     or defaults.get("working-directory") or ".")
        limit = min(remaining, float(step.get("timeout-minutes") or 360) * 60)
        outcome = context.run(script, _SHELLS[shell], workdir, env, limit)
        if outcome.returncode is None:
            return StepRun(job, title, FAILED, outcome.seconds,
                           f"did not finish within {limit:.0f} s")
        if outcome.returncode != 0:
            tail = "\n".join(outcome.output.splitlines()[-OUTPUT_TAIL_LINES:])
            return StepRun(job, title, FAILED, outcome.seconds,
                           f"exited {outcome.returncode}:\n{tail}")
        return StepRun(job, title, PASSED, outcome.seconds)

    def action(self, job: str, title: str, step: Mapping[str, Any],
               context: JobEnvironment) -> StepRun:
        action = str(step["uses"]).split("@")[0]
        if action == "actions/checkout":
            return StepRun(job, title, PASSED, detail="the project directory is the checkout")
        if action == "actions/setup-python":
            try:
                wanted = context.evaluate(str((step.get("with") or {}).get("python-version",
                                                                           ""))).strip()
            except Unsupported as error:
                return StepRun(job, title, SKIPPED, detail=str(error))
            found, note = context.use_python(wanted)
            if note:
                self.notes.append(note)
            return StepRun(job, title, PASSED, detail=f"Python {found}")
        if action == "actions/upload-artifact":
            return self.upload(job, title, step, context)
        if action == "actions/setup-node":
            try:
                wanted = context.evaluate(str((step.get("with") or {}).get("node-version",
                                                                           ""))).strip()
            except Unsupported as error:
                return StepRun(job, title, SKIPPED, detail=str(error))
            found, note = context.use_node(wanted)
            if not found:
                return StepRun(job, title, FAILED, detail=note)
            if note:
                self.notes.append(note)
            return StepRun(job, title, PASSED, detail=f"Node.js {found}")
        return StepRun(job, title, SKIPPED, detail=f"action {action} is not run locally")

    def upload(self, job: str, title: str, step: Mapping[str, Any],
               context: JobEnvironment) -> StepRun:
        """What upload-artifact would find to upload (nothing is uploaded)."""
        given = step.get("with") or {}
        try:
            patterns = [line.strip() for line in context.evaluate(str(given.get("path", "")))
                        .splitlines() if line.strip() and not line.strip().startswith("!")]
            missing = context.evaluate(str(given.get("if-no-files-found", "warn"))).strip()
        except Unsupported as error:
            return StepRun(job, title, SKIPPED, detail=str(error))
        found = sorted({str(path.relative_to(self.project)) for pattern in patterns
                        for path in self.project.glob(pattern) if path.is_file()})
        if found:
            return StepRun(job, title, PASSED, detail=f"would upload {', '.join(found)}")
        if missing == "error":
            return StepRun(job, title, FAILED, detail=f"no file matches {', '.join(patterns)} "
                           "to upload (if-no-files-found: error)")
        return StepRun(job, title, PASSED, detail=f"nothing to upload at {', '.join(patterns)} "
                                                  f"(if-no-files-found: {missing})")

    def needs_engine(self, script: str) -> str:
        """The container engine or cluster tool `script` (or a script it runs) needs, or ""."""
        texts = [script]
        for word in re.findall(r"[\w./-]+", script):
            path = (self.project / word).resolve()
            if path.is_file() and path.is_relative_to(self.project) and ".venv" not in path.parts:
                texts.append(_script_text(path))
        found = next((match for text in texts if (match := ENGINE.search(text))), None)
        return found.group(1) if found else ""


def _script_text(path: Path) -> str:
    """The text of a shell script of the repository ("" for anything else: binaries, data)."""
    with path.open("rb") as stream:
        head = stream.read(64 * 1024)
    if not (path.suffix in (".sh", ".bash") or head.startswith(b"#!")) or b"\0" in head:
        return ""
    return head.decode("utf-8", errors="replace")
