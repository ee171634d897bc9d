"""Fetch a list of things a few at a time, and hand the results back in the list's order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(
    items: list[T], fetch: Callable[[T], R], width: int
) -> Iterator[tuple[T, Callable[[], R]]]:
    """Run `fetch` on `width` items at a time; yield each item with a getter of its result.

    The getter returns the result or raises what `fetch` raised. Items come back in their
    order, so whoever writes the results does so on one thread. Leaving the loop early (a
    stop, Ctrl-C) abandons the fetches in flight rather than waiting for their retries.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, width))
    pending: list[tuple[T, Future[R]]] = []
    queue = iter(items)
    finished = False
    try:
        for _ in items:
            while len(pending) < max(1, width) and (item := next(queue, None)) is not None:
                pending.append((item, pool.submit(fetch, item)))
            item, future = pending.pop(0)
            yield item, partial(_result, future)
        finished = True
    finally:
        pool.shutdown(wait=finished, cancel_futures=True)


def _result(future: Future[R]) -> R:
    """A worker's result, waited for in short steps so that Ctrl-C is seen at once.

    A signal may reach a worker thread; a wait without a timeout would then sleep on.
    """
    while True:
        try:
            return future.result(timeout=0.2)
        except FutureTimeout:
            continue
