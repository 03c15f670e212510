"""`paved template test | release`: render a catalog's answer sets, release a version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paved import output
from paved.cli import options
from paved.errors import Outcome

if TYPE_CHECKING:
    from paved.authoring.release import ReleaseResult
    from paved.authoring.trial import TrialResult


def register(template_app: typer.Typer) -> None:
    template_app.command("test", epilog=options.exit_codes((4, "a step failed")))(test)
    template_app.command("release", epilog=options.exit_codes())(release_command)


def test(
    catalog: options.CatalogDir = Path("."),
    golden_path: options.CatalogGoldenPath = None,
    answer_set: Annotated[str | None, typer.Option("--answer-set", metavar="NAME",
                                                   help="Test only this answer set of the "
                                                   "test_matrix.")] = None,
    skip_tests: options.SkipTests = False,
    keep: Annotated[Path | None, typer.Option("--keep", metavar="DIR", help="Render into DIR "
                                              "and keep the renders.")] = None,
    data: options.Data = None,
    answers_file: Annotated[Path | None, typer.Option(
        "--answers-file", metavar="FILE",
        help="YAML file of answers, on top of each answer set; --data wins.")] = None,
    trust: options.TrustTests = False,
    json: options.Json = False,
) -> Outcome:
    """Render every golden path with each declared answer set and check each render.

    Answer sets: a golden path's test_matrix, a plain copier template's
    paved-answer-sets.yml, else the defaults. --data and --answers-file answer on top
    of each (alone, as the set "given", when none is declared).

    Steps per render: render, validators, test (the render's own CI workflow,
    test_workflow, run step by step as GitHub would, then test_command), and the
    upgrade test. A skipped step says why; it never counts as passed. Exit code 4
    when a step failed.

    Testing a catalog runs its code: its test_command, through the shell, as you.
    That needs --trust (or the catalog listed in trusted_catalogs; the bundled
    catalog is trusted); without it, a catalog that declares a test_command is
    refused unless --skip-tests.

    \b
    Examples:
      paved template test
      paved template test templates --golden-path python-service --skip-tests --json
      paved template test templates --golden-path python-service --answer-set payments-api
      paved template test ../copier-template --data project_name=demo --trust
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.authoring.trial import run_trial
    from paved.questions import read_answers_file

    answers: dict[str, Any] = read_answers_file(answers_file) if answers_file else {}
    answers.update(options.parse_data(data))
    result = run_trial(catalog, golden_path=golden_path, answer_set=answer_set,
                       skip_tests=skip_tests, keep=keep, trust=trust, data=answers,
                       progress=output.status)
    output.emit_result(result, as_json=json, describe=_describe_trial)
    return result


def _describe_trial(result: TrialResult) -> str:
    headers = ("GOLDEN PATH", "ANSWERS", "RENDER", "VALIDATORS", "TEST", "UPGRADE", "SECONDS")
    rows = [(run.golden_path, run.answer_set, *(step.status for step in run.steps),
             f"{run.seconds:.1f}") for run in result.renders]
    notes = [f"{run.golden_path}/{run.answer_set} {step.name} {step.status}: {step.detail}"
             for run in result.renders for step in run.steps
             if step.status != "passed" and step.detail]
    failed = sum(1 for run in result.renders if not run.passed)
    skipped = sum(1 for run in result.renders for step in run.steps if step.status == "skipped")
    verdict = (f"{failed} of {len(result.renders)} render(s) failed" if failed
               else f"All {len(result.renders)} render(s) passed")
    if skipped:
        verdict += f", {skipped} step(s) skipped"
    return "\n".join([output.table(rows, headers), *notes,
                      f"{verdict} (catalog {result.catalog} v{result.version}, "
                      f"{result.seconds:.1f} s)."])


def release_command(
    catalog: options.CatalogDir = Path("."),
    version: Annotated[str | None, typer.Option("--version", metavar="VERSION",
                                                help="The version to release: X.Y.Z.")] = None,
    bump: Annotated[str | None, typer.Option("--bump", metavar="major|minor|patch",
                                             help="Release the latest version bumped.")] = None,
    skip_test: options.SkipTests = False,
    trust: options.TrustTests = False,
    json: options.Json = False,
) -> None:
    """Release the catalog: lint and test it, write CHANGELOG.md, commit, tag vX.Y.Z.

    Refuses a dirty tree and a version not above the latest release. The changelog
    section lists the subjects of the commits since the last release. The test runs
    the catalog's test_command, which needs --trust (see `paved template test`).

    \b
    Examples:
      paved template release --bump minor --trust
      paved template release ../platform-catalog --version 2.0.0 --skip-tests --json
    """
    from paved.authoring.release import release

    result = release(catalog, version=version, bump=bump, skip_test=skip_test, trust=trust,
                     progress=output.status)
    output.emit_result(result, as_json=json, describe=_describe_release)


def _describe_release(result: ReleaseResult) -> str:
    after = f" (after {result.previous})" if result.previous else " (first release)"
    return (f"Released {result.version}{after}: tag {result.tag} on commit "
            f"{result.commit[:12]}, {len(result.changes)} change(s) in CHANGELOG.md.\n"
            f"Next: git push --follow-tags; services get it with `paved update`.")
