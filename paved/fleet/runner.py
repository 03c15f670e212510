"""Runs one function per repo: in this process (`--jobs 1`, for debugging) or in N processes.

The function must catch its own repo's errors and return a result: the runner
only distributes work and hands each result, as it arrives, to `done` (which
draws progress in the parent process). Results come back in input order.

Ctrl-C (or SIGTERM) stops the run, not the program: the repos already done are
returned with `interrupted` set, so the command can say what was done. Workers
leave SIGINT to the parent (a terminal sends it to the whole process group) and
are ended by it; a repo cut short is left for the next run, whose workspace
reset and update journal put it back as it was.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from paved import catalog, render

if TYPE_CHECKING:
    from paved.fleet.sources import RepoRef

Item = TypeVar("Item")
Result = TypeVar("Result")


class Named(Protocol):
    @property
    def name(self) -> str: ...


RepoResult = TypeVar("RepoResult", bound=Named)


@dataclass(frozen=True)
class Run(Generic[Result]):
    results: tuple[Result, ...]  # of the items done, in input order
    interrupted: bool = False


@dataclass(frozen=True)
class FleetRun(Generic[RepoResult]):
    """One function run over a fleet's repos: each repo's result, in fleet order, the repos
    not done when interrupted (Ctrl-C), and the run's wall time."""
    results: tuple[RepoResult, ...]
    not_done: tuple[str, ...]
    seconds: float


def run_repos(work: Callable[[RepoRef], RepoResult], refs: Sequence[RepoRef], *, jobs: int,
              done: Callable[[RepoResult], None]) -> FleetRun[RepoResult]:
    """`run_each` over a fleet's repos (`paved fleet update`, `paved fleet adopt`)."""
    start = time.monotonic()
    if jobs > 1:
        render.import_copier()  # once, before the workers fork, rather than once in each
    run = run_each(work, refs, jobs=jobs, done=done)
    finished = {result.name for result in run.results}
    return FleetRun(run.results, tuple(ref.name for ref in refs if ref.name not in finished)
                    if run.interrupted else (), round(time.monotonic() - start, 3))


def run_each(work: Callable[[Item], Result], items: Sequence[Item], *, jobs: int,
             done: Callable[[Result], None]) -> Run[Result]:
    if jobs <= 1 or len(items) <= 1:
        return _in_process(work, items, done)
    # fork where there is one: workers start with paved already imported (spawn makes
    # each import it again, ~0.5 s). Nothing has run git in this process yet, so no
    # gitpython thread or pipe is inherited. Each worker opens every catalog once
    # (`catalog.start_session`).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context,
                               initializer=_start_worker)
    found: dict[int, Result] = {}
    try:
        futures: dict[Future[Result], int] = {pool.submit(work, item): index
                                              for index, item in enumerate(items)}
        for future in as_completed(futures):
            result = future.result()
            found[futures[future]] = result
            done(result)
    except KeyboardInterrupt:
        _stop(pool)
        return Run(tuple(found[index] for index in sorted(found)), interrupted=True)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()
    return Run(tuple(found[index] for index in range(len(items))))


def _in_process(work: Callable[[Item], Result], items: Sequence[Item],
                done: Callable[[Result], None]) -> Run[Result]:
    results: list[Result] = []
    try:
        with catalog.session():
            for item in items:
                results.append(work(item))
                done(results[-1])
    except KeyboardInterrupt:  # the repo in hand unwound (an update rolls back)
        return Run(tuple(results), interrupted=True)
    return Run(tuple(results))


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; no traceback here
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # how the parent ends a worker
    catalog.start_session()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the repos not started and end the workers at once."""
    pool.shutdown(wait=False, cancel_futures=True)
    # The executor has no public way to end busy workers; its processes are these.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()
