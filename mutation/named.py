"""The mutants issue 25 names, each put into the code by hand and run against the test
named to kill it (docs/testing.md lists them).

cosmic-ray's operators (mutation/run.py) swap one token at a time; the bugs the issue
found are a little larger (a bound moved, a branch dropped, a name forgotten), so each
is written here as the exact edit. A mutant is killed when its named tests fail
(pytest exit 1): a collection or usage error (exit 2 to 5) counts as not killed.

    python mutation/named.py            # paved's (a copy of the working tree; about a minute)
    python mutation/named.py --service  # the generated service's (in a render, with its venv)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run
import service


@dataclass(frozen=True)
class Mutant:
    issue: str  # the mutant as issue 25 words it
    module: str
    old: str  # found exactly once in the module
    new: str
    tests: tuple[str, ...]  # the tests named to kill it


_ISOLATION = "tests/check/test_isolation.py"
_BOUNDS = f"{_ISOLATION}::test_each_bound_holds_at_its_limit_and_fails_just_past_it"

PAVED = (
    Mutant("a `once:` file the team deleted is re-added by an update",
           "paved/update/merge.py", "if o is None and b is None:", "if o is None:",
           ("tests/update/test_merge.py::test_a_once_file_the_team_deleted_is_not_added_again",)),
    Mutant("a merged file ignores the template's mode change",
           "paved/update/merge.py", "mode = t[0] if b is not None and o[0] == b[0] else o[0]",
           "mode = o[0]",
           ("tests/update/test_merge.py::test_a_merged_file_takes_the_templates_mode_change",)),
    Mutant("a binary changed on both sides is merged as text",
           "paved/update/merge.py",
           'if any(b"\\0" in text for text in texts) or "120000" in (o[0], t[0]):',
           'if "120000" in (o[0], t[0]):',
           ("tests/update/test_merge.py::"
            "test_a_binary_changed_on_both_sides_is_a_conflict_keeping_ours",)),
    Mutant("`paved check`: retry-budget ratio bound 0.2 → 2.0",
           "paved/check/isolation.py", "lambda v: 0 <= v <= 0.2,", "lambda v: 0 <= v <= 2.0,",
           (_BOUNDS,)),
    Mutant("`paved check`: breaker ratio bound 0.75 → 1.0",
           "paved/check/isolation.py", "lambda v: 0 < v <= 0.75 or", "lambda v: 0 < v <= 1.0 or",
           (_BOUNDS,)),
    Mutant("`paved check`: ConfigMap overrides of timeouts ignored",
           "paved/check/isolation.py", 'for document in repo.objects("ConfigMap"):',
           "for document in ():",
           (f"{_ISOLATION}::test_a_configmap_override_of_a_timeout_is_checked_at_its_line",)),
    Mutant("`paved check`: container env overrides of timeouts ignored",
           "paved/check/isolation.py", "for item in env if isinstance(env, list) else []:",
           "for item in []:",
           (f"{_ISOLATION}::test_a_container_env_override_is_checked_at_its_line",)),
    Mutant("`paved new` ignoring `trusted_catalogs`",
           "paved/create.py", "trust = trust or config.is_trusted(catalog.source)",
           "trust = trust",
           ("tests/test_create.py::test_a_catalog_trusted_in_the_config_file_runs_its_task",)),
    Mutant("`--trust` dropped by the CLI",
           "paved/cli/new.py", "use_git=not no_git, trust=trust)",
           "use_git=not no_git, trust=False)",
           ("tests/test_create.py::test_trust_runs_the_catalogs_task_in_the_new_project",)),
    Mutant("the GitHub publisher asks for PRs with `state=all` instead of `open`",
           "paved/fleet/github.py", 'repo.get_pulls(state="open",', 'repo.get_pulls(state="all",',
           ("tests/fleet/test_publishers.py::test_a_closed_pull_request_is_never_refreshed",)),
)

_PLATFORM = service.PLATFORM
_BREAKER = "tests/test_budget_and_breaker.py"
_CLIENT = "tests/test_outbound_client.py"
_E2E_BUDGET = ("tests/test_resilience_end_to_end.py::"
               "test_a_failing_host_gets_a_tenth_of_its_calls_as_retries")
_REDACTION = ("tests/test_observability.py::test_credentials_never_reach_the_logs",)
_NO_429 = ("if relayed(headers) or status == TOO_MANY_REQUESTS:\n"
           "        return Outcome.IGNORED\n")


def _unredacted(key: str) -> Mutant:
    return Mutant(f"`{key}` not redacted in the logs", f"{_PLATFORM}/logs.py",
                  f'        "{key}",\n', "", _REDACTION)


SERVICE = (
    Mutant("the retry-budget default ratio 0.1 → 0.15",
           f"{_PLATFORM}/settings.py",
           "retry_budget_ratio: float = Field(\n        default=0.1,",
           "retry_budget_ratio: float = Field(\n        default=0.15,", (_E2E_BUDGET,)),
    Mutant("the breaker window one bucket longer (11 s)",
           f"{_PLATFORM}/breaker.py", "RollingCounts(window_seconds, kinds=2,",
           "RollingCounts(window_seconds * 1.1, kinds=2,",
           (f"{_BREAKER}::test_the_window_is_exactly_ten_seconds",)),
    # The window's own edge: a bucket ten seconds old still counted until it is reused.
    # The breaker never notices (it adds before it totals, reusing the bucket); a read
    # without a newer event does.
    Mutant("the window counting one bucket more when read",
           f"{_PLATFORM}/window.py", "- self._size + 1", "- self._size",
           (f"{_BREAKER}::test_events_leave_the_window_exactly_its_length_later",)),
    Mutant("half-open closing after one probe instead of three",
           f"{_PLATFORM}/breaker.py", "if self._probes_succeeded >= self._probes:",
           "if self._probes_succeeded >= 1:",
           (f"{_BREAKER}::test_half_open_closes_after_the_third_successful_probe_not_before",)),
    Mutant("429 counted as a success by the breaker",
           f"{_PLATFORM}/outcome.py", _NO_429,
           "if relayed(headers):\n        return Outcome.IGNORED\n",
           (f"{_CLIENT}::test_429_is_neither_a_success_nor_a_failure_for_the_breaker",)),
    Mutant("429 counted as a failure by the breaker",
           f"{_PLATFORM}/outcome.py", _NO_429,
           "if relayed(headers):\n        return Outcome.IGNORED\n"
           "    if status == TOO_MANY_REQUESTS:\n        return Outcome.FAILURE\n",
           (f"{_CLIENT}::test_429_is_neither_a_success_nor_a_failure_for_the_breaker",)),
    Mutant("jitter ignored (the full backoff every time)",
           f"{_PLATFORM}/client.py", "wait = max(self._jitter() * backoff, retry_after)",
           "wait = max(backoff, retry_after)",
           (f"{_CLIENT}::test_backoff_is_full_jitter_at_the_default_base_and_cap",)),
    *(_unredacted(key) for key in ("password", "proxy-authorization", "set-cookie",
                                   "x-api-key", "token")),
    Mutant("the budget-exhausted counter never incremented",
           f"{_PLATFORM}/client.py", "metrics.RETRY_BUDGET_EXHAUSTED.labels(name).inc()",
           "metrics.RETRY_BUDGET_EXHAUSTED.labels(name)", (_E2E_BUDGET,)),
    Mutant("probes given deadlines (`/livez` with an expired deadline answers 504)",
           f"{_PLATFORM}/middleware.py",
           'if scope["type"] != "http" or scope["path"] in UNPROTECTED_PATHS:\n'
           "            await self.app(scope, receive, send)\n            return\n"
           "        headers =",
           'if scope["type"] != "http":\n'
           "            await self.app(scope, receive, send)\n            return\n"
           "        headers =",
           ("tests/test_server.py::test_probes_get_no_deadline",)),
)


def _pytest(tree: Path, tests: tuple[str, ...], python: str, import_path: str) -> int:
    return subprocess.run(["sh", "-c", run.test_command(tests, python, import_path)],
                          cwd=tree, capture_output=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).returncode


def check(mutants: tuple[Mutant, ...], tree: Path, python: str = sys.executable,
          import_path: str = ".") -> list[tuple[Mutant, bool]]:
    """Each mutant put into `tree` in turn: whether its named tests killed it."""
    every = tuple(dict.fromkeys(test for mutant in mutants for test in mutant.tests))
    if _pytest(tree, every, python, import_path) != 0:
        raise SystemExit("the named tests fail unmutated")
    results = []
    for mutant in mutants:
        path = tree / mutant.module
        original = path.read_text()
        if original.count(mutant.old) != 1:
            raise SystemExit(f"{mutant.module}: {mutant.old!r} is not there exactly once")
        path.write_text(original.replace(mutant.old, mutant.new))
        try:
            results.append((mutant, _pytest(tree, mutant.tests, python, import_path) == 1))
        finally:
            path.write_text(original)
    return results


def table(results: list[tuple[Mutant, bool]]) -> str:
    rows = ["| mutant (issue 25) | module | killed by | killed |", "|---|---|---|---|"]
    for mutant, killed in results:
        tests = "<br>".join(f"`{test.split('::')[-1]}`" for test in mutant.tests)
        rows.append(f"| {mutant.issue} | `{mutant.module}` | {tests} | "
                    f"{'yes' if killed else '**no**'} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", action="store_true",
                        help="the generated service's mutants, in a render")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="paved-named-"))
    try:
        if args.service:
            tree, python = service.prepare(scratch)
            results = check(SERVICE, tree, python, "src")
        else:
            run.copy_tree(run.ROOT, scratch / "tree")
            results = check(PAVED, scratch / "tree")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(table(results))
    return 0 if all(killed for _, killed in results) else 1


if __name__ == "__main__":
    sys.exit(main())
