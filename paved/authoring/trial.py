"""A trial of a catalog (`paved template test`): render every declared answer set, then
check each render four ways.

Per golden path, the manifest declares the answer sets to render (`test_matrix`,
name -> answers; the defaults alone when absent) and the command each render
must pass (`test_command`). Each render goes through these steps, each timed:

    render       the golden path's layers into a fresh git repository
    validators   `paved.delivery.validators.validate_project(dir)`
    test         the `run:` steps of the render's own CI workflow (`test_workflow`), as
                 the workflow defines them (paved.delivery.workflow_run), then the
                 declared test command; both inside the render
    upgrade      render the previous release, `paved update` it to this working tree,
                 fail on any conflict (skipped when there is no earlier release)

A skipped step is reported as skipped with its reason, never as passed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paved
from paved import config, git, render, yaml
from paved.authoring.lint_files import answer_sets
from paved.authoring.rehearsal import rehearse
from paved.catalog import Catalog, GoldenPath, bundled_root, working_tree
from paved.create import paved_context, render_golden_path
from paved.errors import ExitCode, InputError, PavedError, one_line
from paved.project import RECORD_FILE, Record, write_record
from paved.questions import resolve_answers

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
OUTPUT_TAIL_LINES = 20


@dataclass(frozen=True)
class Step:
    name: str
    status: str  # passed | failed | skipped
    seconds: float = field(default=0.0, metadata={"volatile": True})
    detail: str = ""


@dataclass(frozen=True)
class RenderRun:
    golden_path: str
    answer_set: str
    answers: Mapping[str, Any]
    path: str  # where the render is (gone after the trial unless kept)
    steps: tuple[Step, ...]
    passed: bool
    seconds: float = field(default=0.0, metadata={"volatile": True})


@dataclass(frozen=True)
class TrialResult:
    catalog: str
    version: str
    renders: tuple[RenderRun, ...]
    passed: bool
    seconds: float = field(default=0.0, metadata={"volatile": True})

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.passed else ExitCode.FINDINGS


def run_trial(root: Path, *, golden_path: str | None = None, answer_set: str | None = None,
              skip_tests: bool = False, keep: Path | None = None, trust: bool = False,
              timeout: float = 1800, data: Mapping[str, Any] | None = None,
              progress: Callable[[str], None] = lambda message: None) -> TrialResult:
    """Render and check every answer set of every golden path (or just `golden_path`,
    or just its `answer_set`). `data` (`--data`, `--answers-file`) answers on top of
    each answer set; with no answer set declared, it is the one set, named "given".

    A golden path's `test_command` and `test_workflow` are the catalog's code, run
    through the shell with the user's permissions: they run only for a trusted catalog
    (`trust`, the config's `trusted_catalogs:`, the bundled catalog); otherwise the
    trial is refused before anything renders, unless `skip_tests`.
    """
    with working_tree(root) as catalog:
        trust = trust or config.is_trusted(catalog.source) or _is_bundled(root)
        chosen = ([catalog.golden_path(golden_path)] if golden_path
                  else list(catalog.golden_paths.values()))
        code = [(key, value) for path in chosen
                for key, value in (("test_command", path.test_command),
                                   ("test_workflow", path.test_workflow)) if value]
        if code and not skip_tests and not trust:
            key, value = code[0]
            raise InputError(f"catalog {catalog.source} declares a {key} "
                             f"({one_line(repr(value), 200)}) that runs through the shell "
                             f"as you: pass --trust if you trust this catalog, or --skip-tests")
        return _run_all(root.resolve(), catalog, chosen, answer_set=answer_set,
                        skip_tests=skip_tests, keep=keep, trust=trust, timeout=timeout,
                        data=data or {}, progress=progress)


def _answer_sets(golden_path: GoldenPath, data: Mapping[str, Any]
                 ) -> dict[str, tuple[GoldenPath, Mapping[str, Any]]]:
    """The golden path's answer sets (each with the optional layers it renders) with `data`
    on top (`data` wins, as in `paved new`); `data` alone, as the set "given", when the
    golden path declares none."""
    if data and not golden_path.test_matrix:
        return {"given": (golden_path, dict(data))}
    return {name: (path, {**given, **data})
            for name, (path, given) in answer_sets(golden_path).items()}


def _is_bundled(root: Path) -> bool:
    return root.resolve() == bundled_root().resolve()


def _run_all(root: Path, catalog: Catalog, chosen: list[GoldenPath], *, answer_set: str | None,
             skip_tests: bool, keep: Path | None, trust: bool, timeout: float,
             data: Mapping[str, Any], progress: Callable[[str], None]) -> TrialResult:
    started = time.monotonic()
    if answer_set is not None:
        declared = {name for path in chosen for name in _answer_sets(path, data)}
        if answer_set not in declared:
            raise InputError(f"no answer set {answer_set!r} in the test_matrix; declared: "
                             f"{', '.join(sorted(declared))}")
    work = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="paved-test-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = []
    try:
        for path in chosen:
            for set_name, (path_of_set, given) in _answer_sets(path, data).items():
                if answer_set is not None and set_name != answer_set:
                    continue
                progress(f"testing {path.name} with answers {set_name!r}")
                dest = work / f"{path.name}-{set_name}"
                runs.append(_run_one(root, catalog, path_of_set, set_name, given, dest,
                                     skip_tests=skip_tests, trust=trust, timeout=timeout))
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return TrialResult(catalog=catalog.source, version=catalog.version, renders=tuple(runs),
                       passed=all(run.passed for run in runs),
                       seconds=round(time.monotonic() - started, 3))


def _run_one(root: Path, catalog: Catalog, golden_path: GoldenPath, set_name: str,
             given: Mapping[str, Any], dest: Path, *, skip_tests: bool, trust: bool,
             timeout: float) -> RenderRun:
    started = time.monotonic()
    answers: Mapping[str, Any] = {}
    try:
        answers = _render(catalog, golden_path, given, dest, trust=trust)
        steps = [Step("render", PASSED, _since(started))]
    except PavedError as error:
        steps = [Step("render", FAILED, _since(started), str(error))]
    if steps[0].status == FAILED:
        reason = "the render failed"
        steps += [Step(name, SKIPPED, 0.0, reason) for name in ("validators", "test",
                                                                "upgrade")]
    else:
        # Every render holds paved's record (a plain template's also copier's answers
        # file), not written by the template's author to the platform's YAML style: a
        # catalog at a long path would fail yamllint's default line length on it.
        steps += [_validate(dest, (*_copier_answers_files(dest), RECORD_FILE)
                            if catalog.plain else (RECORD_FILE,)),
                  _test(golden_path, dest, skip_tests, timeout, plain=catalog.plain),
                  _upgrade(root, catalog, golden_path, given, dest, trust)]
    return RenderRun(golden_path=golden_path.name, answer_set=set_name, answers=answers,
                     path=str(dest), steps=tuple(steps), seconds=_since(started),
                     passed=all(step.status != FAILED for step in steps))


def _render(catalog: Catalog, golden_path: GoldenPath, given: Mapping[str, Any], dest: Path,
            *, trust: bool) -> Mapping[str, Any]:
    # Not create.create_service: a plain copier template need not ask for a service name.
    answers = resolve_answers(catalog.questions, given, catalog_root=catalog.root,
                              context=paved_context(catalog, golden_path),
                              how=render.Render(origin=catalog.origin, trust=trust))
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    render_golden_path(catalog, golden_path, answers, dest, trust=trust)
    write_record(dest, Record(catalog=catalog.source, version=catalog.version,
                              golden_path=golden_path.name, layers=golden_path.layers,
                              answers=answers, paved_version=paved.__version__))
    git.init_and_commit(dest, f"Render {golden_path.name} for paved template test")
    return answers


def _copier_answers_files(dest: Path) -> tuple[str, ...]:
    """The answers file copier wrote (`_answers_file`; a mapping with `_src_path`): its
    YAML is copier's `to_nice_yaml`, not the plain template author's to lint."""
    found = []
    for path in sorted(dest.rglob("*.y*ml")):
        if ".git" in path.relative_to(dest).parts or not path.is_file():
            continue
        try:
            data = yaml.load(path)
        except PavedError:
            continue
        if isinstance(data, Mapping) and "_src_path" in data:
            found.append(path.relative_to(dest).as_posix())
    return tuple(found)


def _validate(dest: Path, not_yaml_linted: tuple[str, ...] = ()) -> Step:
    from paved.delivery import validators

    started = time.monotonic()
    try:
        report = validators.validate_project(dest, not_yaml_linted=not_yaml_linted)
    except PavedError as error:
        return Step("validators", FAILED, _since(started), str(error))
    missing = "; ".join(f"{item.validator} could not run: {item.tool} is missing "
                        f"({item.hint})" for item in report.missing)
    if report.findings:
        shown = [f"{item.validator}: {item.file}{f':{item.line}' if item.line else ''}: "
                 f"{item.message}" for item in report.findings[:OUTPUT_TAIL_LINES]]
        more = len(report.findings) - len(shown)
        return Step("validators", FAILED, _since(started),
                    "\n".join([*shown, *([f"… and {more} more"] if more else []),
                                *([missing] if missing else [])]))
    ran = f"{len(report.ran)} validator(s) passed"
    if report.missing:
        # A validator that could not run is no pass: the step is incomplete.
        return Step("validators", SKIPPED, _since(started), f"{ran}; {missing}")
    return Step("validators", PASSED, _since(started), f"{', '.join(report.ran)}")


def _test(golden_path: GoldenPath, dest: Path, skip_tests: bool, timeout: float, *,
          plain: bool = False) -> Step:
    if skip_tests:
        return Step("test", SKIPPED, 0.0, "--skip-tests")
    if not golden_path.test_command and not golden_path.test_workflow:
        return Step("test", SKIPPED, 0.0, "a plain copier template declares no test_workflow "
                                          "or test_command" if plain else
                                          "no test_workflow or test_command declared in "
                                          "paved-catalog.yml")
    started = time.monotonic()
    ran = ""
    if golden_path.test_workflow:
        workflow = _workflow(golden_path.test_workflow, dest, timeout)
        if workflow.status != PASSED or not golden_path.test_command:
            return Step("test", workflow.status, _since(started), workflow.detail)
        ran = workflow.detail + "; "
    try:
        done = subprocess.run(golden_path.test_command, shell=True, cwd=dest, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Step("test", FAILED, _since(started),
                    f"{golden_path.test_command!r} did not finish within {timeout:g} s")
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-OUTPUT_TAIL_LINES:])
        return Step("test", FAILED, _since(started),
                    f"{golden_path.test_command!r} exited {done.returncode}:\n{tail}")
    return Step("test", PASSED, _since(started), ran + golden_path.test_command)


def _workflow(path: str, dest: Path, timeout: float) -> Step:
    """The render's own CI: its workflow's `run:` steps, as GitHub would run them."""
    from paved.delivery.workflow_run import run_workflow

    if not (dest / path).is_file():
        return Step("test", FAILED, 0.0, f"the render has no {path} (test_workflow)")
    started = time.monotonic()
    try:
        run = run_workflow(dest, path, timeout=timeout)
    except PavedError as error:
        return Step("test", FAILED, _since(started), f"{path}: {error}")
    ran = [step for step in run.steps if step.status == PASSED]
    summary = f"{path}: {len(ran)} step(s) passed"
    skipped = "; ".join(f"{step.job} / {step.name}: {step.detail}" for step in run.steps
                        if step.status == SKIPPED and step.detail != "an earlier step failed")
    notes = "; ".join(run.notes)
    detail = summary + (f"; skipped: {skipped}" if skipped else "") + (
        f"; note: {notes}" if notes else "")
    if run.failed:
        first = run.failed[0]
        return Step("test", FAILED, _since(started),
                    f"{path}: {first.job} / {first.name} {first.detail}")
    # A step that could not run here is no pass (a container engine or cluster aside).
    return Step("test", SKIPPED if run.incomplete else PASSED, _since(started), detail)


def _upgrade(root: Path, catalog: Catalog, golden_path: GoldenPath,
             given: Mapping[str, Any], dest: Path, trust: bool) -> Step:
    from paved.update.update import update_project

    started = time.monotonic()
    outcome = rehearse(root, catalog, golden_path, given,
                       dest.with_name(dest.name + "-upgrade"), fresh=dest, update=update_project,
                       render=_render, trust=trust)
    return Step("upgrade", outcome.status, _since(started), outcome.detail)


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
