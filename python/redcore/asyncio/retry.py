"""``Retry`` for :mod:`redcore.asyncio`, as ``redis.asyncio.retry``: the
same policy object as :class:`redcore.retry.Retry` (retries, backoff,
errors), whose :meth:`call_with_retry` awaits and sleeps without blocking
the loop.

    >>> from redcore.asyncio.retry import Retry
    >>> from redcore.backoff import ExponentialBackoff
    >>> Retry(ExponentialBackoff(cap=1, base=0.01), 3).get_retries()
    3

Pass one to ``redcore.asyncio.Redis(host=..., retry=...)``; either class
(this one or the sync one) works there, and so does redis-py's.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional, Tuple, TypeVar

from ..exceptions import ConnectionError, TimeoutError
from ..retry import Retry as _SyncRetry

T = TypeVar("T")


def retry_allows(retry: Any, error: BaseException, failures: int) -> bool:
    """True if ``retry`` (a redis-py style policy: ``get_retries()``,
    ``_supported_errors``) allows another attempt after the
    ``failures``-th failure, ``error``."""
    retries = retry.get_retries()
    if retries >= 0 and failures > retries:
        return False
    return isinstance(error, tuple(retry._supported_errors))


async def sleep_backoff(retry: Any, failures: int) -> None:
    """Sleeps the backoff ``retry`` computes after the ``failures``-th
    failure (resetting the backoff on the first), without blocking the loop."""
    backoff = retry._backoff
    if failures == 1:
        backoff.reset()
    delay = backoff.compute(failures)
    if delay > 0:
        await asyncio.sleep(delay)


async def connect_retrying(pool: Any, connect: Callable[[], Awaitable[T]], failures: int = 0) -> Tuple[T, int]:
    """Awaits ``connect()`` (opening a connection of ``pool``) until it
    succeeds, retrying a connection error or timeout as the pool's retry
    policy allows: opening sends no command, so trying again is always
    safe (a Sentinel pool asks Sentinel again each time: during a failover
    the master moves). ``failures`` are the caller's earlier failures of
    the same operation; returns (the connection, the failures now)."""
    retry = pool._retry_policy[0]
    while True:
        try:
            return await connect(), failures
        except (ConnectionError, TimeoutError) as e:
            failures += 1
            if retry is None or not retry_allows(retry, e, failures):
                raise
            await sleep_backoff(retry, failures)


class Retry(_SyncRetry):
    """Retry up to ``retries`` times (negative: forever) on
    ``supported_errors``, sleeping ``backoff.compute(failures)`` between
    attempts (with ``asyncio.sleep``)."""

    async def call_with_retry(  # type: ignore[override]
        self,
        do: Callable[[], Awaitable[T]],
        fail: Callable[..., Any],
        is_retryable: Optional[Callable[[Exception], bool]] = None,
        with_failure_count: bool = False,
    ) -> T:
        """Awaits ``do()`` until it succeeds or the retries run out, calling
        ``fail(error)`` (awaited if it returns an awaitable) after each
        failure."""
        self._backoff.reset()
        failures = 0
        while True:
            try:
                return await do()
            except self._supported_errors as error:
                if is_retryable and not is_retryable(error):
                    raise
                failures += 1
                done = fail(error, failures) if with_failure_count else fail(error)
                if asyncio.iscoroutine(done) or isinstance(done, asyncio.Future):
                    await done
                if self._retries >= 0 and failures > self._retries:
                    raise error
                delay = self._backoff.compute(failures)
                if delay > 0:
                    await asyncio.sleep(delay)


__all__ = ["Retry"]
