"""Backoff strategies for :class:`redcore.retry.Retry`, as in redis-py.

A backoff says how long to sleep before retry number ``failures``::

    >>> from redcore.backoff import ExponentialBackoff
    >>> b = ExponentialBackoff(cap=1.0, base=0.1)
    >>> [b.compute(n) for n in (1, 2, 3, 5)]
    [0.2, 0.4, 0.8, 1.0]
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod

DEFAULT_CAP = 0.512
DEFAULT_BASE = 0.008


class AbstractBackoff(ABC):
    """Backoff interface."""

    def reset(self) -> None:
        """Called before a new series of retries."""

    @abstractmethod
    def compute(self, failures: int) -> float:
        """Seconds to sleep after ``failures`` failures."""


class ConstantBackoff(AbstractBackoff):
    """The same delay every time."""

    def __init__(self, backoff: float) -> None:
        self._backoff = backoff

    def __hash__(self) -> int:
        return hash((self._backoff,))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConstantBackoff):
            return NotImplemented
        return self._backoff == other._backoff

    def compute(self, failures: int) -> float:
        return self._backoff


class NoBackoff(ConstantBackoff):
    """No delay."""

    def __init__(self) -> None:
        super().__init__(0)


class _CapBase(AbstractBackoff):
    def __init__(self, cap: float = DEFAULT_CAP, base: float = DEFAULT_BASE) -> None:
        self._cap = cap
        self._base = base

    def __hash__(self) -> int:
        return hash((self._base, self._cap))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self._base == other._base and self._cap == other._cap


class ExponentialBackoff(_CapBase):
    """``min(cap, base * 2**failures)``."""

    def compute(self, failures: int) -> float:
        return min(self._cap, self._base * 2**failures)


class FullJitterBackoff(_CapBase):
    """A uniform delay in ``[0, min(cap, base * 2**failures)]``."""

    def compute(self, failures: int) -> float:
        return random.uniform(0, min(self._cap, self._base * 2**failures))


class EqualJitterBackoff(_CapBase):
    """Half the exponential delay plus a random half."""

    def compute(self, failures: int) -> float:
        temp = min(self._cap, self._base * 2**failures) / 2
        return temp + random.uniform(0, temp)


class DecorrelatedJitterBackoff(_CapBase):
    """Each delay random between ``base`` and three times the previous one."""

    def __init__(self, cap: float = DEFAULT_CAP, base: float = DEFAULT_BASE) -> None:
        super().__init__(cap, base)
        self._previous_backoff = 0.0

    def reset(self) -> None:
        self._previous_backoff = 0.0

    def compute(self, failures: int) -> float:
        max_backoff = max(self._base, self._previous_backoff * 3)
        temp = random.uniform(self._base, max_backoff)
        self._previous_backoff = min(self._cap, temp)
        return self._previous_backoff


class ExponentialWithJitterBackoff(_CapBase):
    """``min(cap, random() * base * 2**failures)``."""

    def compute(self, failures: int) -> float:
        return min(self._cap, random.random() * self._base * 2**failures)


def default_backoff() -> AbstractBackoff:
    """redis-py's default: :class:`EqualJitterBackoff`."""
    return EqualJitterBackoff()


__all__ = [
    "AbstractBackoff",
    "ConstantBackoff",
    "DecorrelatedJitterBackoff",
    "EqualJitterBackoff",
    "ExponentialBackoff",
    "ExponentialWithJitterBackoff",
    "FullJitterBackoff",
    "NoBackoff",
    "default_backoff",
]
