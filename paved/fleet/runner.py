"""Runs one function per repo: in this process (`--jobs 1`, for debugging) or in N processes.

The function must catch its own repo's errors and return a result: the runner
only distributes work and hands each result, as it arrives, to `done` (which
draws progress in the parent process). Results come back in input order.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TypeVar

from paved import catalog

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_each(work: Callable[[Item], Result], items: Sequence[Item], *, jobs: int,
             done: Callable[[Result], None]) -> list[Result]:
    if jobs <= 1 or len(items) <= 1:
        results = []
        with catalog.session():
            for item in items:
                result = work(item)
                done(result)
                results.append(result)
        return results
    # fork where there is one: workers start with paved already imported (spawn makes
    # each import it again, ~0.5 s). Nothing has run git in this process yet, so no
    # gitpython thread or pipe is inherited. Each worker opens every catalog once
    # (`catalog.start_session`).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context,
                               initializer=catalog.start_session)
    try:
        futures: dict[Future[Result], int] = {pool.submit(work, item): index
                                              for index, item in enumerate(items)}
        found: dict[int, Result] = {}
        for future in as_completed(futures):
            result = future.result()
            found[futures[future]] = result
            done(result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [found[index] for index in range(len(items))]
