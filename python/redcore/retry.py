"""``Retry``: how many times, after which errors and with what backoff a
remote client retries, as in redis-py.

    >>> from redcore.retry import Retry
    >>> from redcore.backoff import ExponentialBackoff
    >>> r = Retry(ExponentialBackoff(cap=1, base=0.01), 3)
    >>> r.get_retries()
    3

The client consults it when a request fails with a supported error; see
``redcore.Redis`` for which requests are retried by default.
"""

from __future__ import annotations

import socket
from time import sleep
from typing import Any, Callable, Iterable, Optional, Tuple, Type, TypeVar

from .backoff import AbstractBackoff
from .exceptions import ConnectionError, TimeoutError

T = TypeVar("T")


class Retry:
    """Retry up to ``retries`` times (negative: forever) on
    ``supported_errors``, sleeping ``backoff.compute(failures)`` between
    attempts."""

    def __init__(
        self,
        backoff: AbstractBackoff,
        retries: int,
        supported_errors: Tuple[Type[Exception], ...] = (ConnectionError, TimeoutError, socket.timeout),
    ) -> None:
        self._backoff = backoff
        self._retries = retries
        self._supported_errors = tuple(supported_errors)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Retry):
            return NotImplemented
        return (
            self._backoff == other._backoff
            and self._retries == other._retries
            and set(self._supported_errors) == set(other._supported_errors)
        )

    def __hash__(self) -> int:
        return hash((self._backoff, self._retries, frozenset(self._supported_errors)))

    def __repr__(self) -> str:
        return f"Retry({self._backoff!r}, {self._retries})"

    def update_supported_errors(self, specified_errors: Iterable[Type[Exception]]) -> None:
        """Adds error classes to retry on."""
        self._supported_errors = tuple(set(self._supported_errors + tuple(specified_errors)))

    def get_retries(self) -> int:
        """The number of retries."""
        return self._retries

    def update_retries(self, value: int) -> None:
        """Sets the number of retries."""
        self._retries = value

    def call_with_retry(
        self,
        do: Callable[[], T],
        fail: Callable[..., Any],
        is_retryable: Optional[Callable[[Exception], bool]] = None,
        with_failure_count: bool = False,
    ) -> T:
        """Calls ``do()`` until it succeeds or the retries run out, calling
        ``fail(error)`` after each failure."""
        self._backoff.reset()
        failures = 0
        while True:
            try:
                return do()
            except self._supported_errors as error:
                if is_retryable and not is_retryable(error):
                    raise
                failures += 1
                if with_failure_count:
                    fail(error, failures)
                else:
                    fail(error)
                if self._retries >= 0 and failures > self._retries:
                    raise error
                backoff = self._backoff.compute(failures)
                if backoff > 0:
                    sleep(backoff)


__all__ = ["Retry"]
