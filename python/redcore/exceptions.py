"""Exceptions raised by redcore, named and arranged as in redis-py.

Code written against redis-py's exceptions keeps working::

    >>> import redcore
    >>> r = redcore.Redis()
    >>> r.set("k", "v")
    True
    >>> try:
    ...     r.lpush("k", "x")
    ... except redcore.exceptions.ResponseError as e:
    ...     print(e)
    WRONGTYPE Operation against a key holding the wrong kind of value
"""

from __future__ import annotations

from typing import Dict, Optional, Type, Union


class RedisError(Exception):
    """Base class of every redcore error."""

    def __init__(self, *args: object, status_code: Optional[str] = None) -> None:
        super().__init__(*args)
        self.status_code = status_code


class ConnectionError(RedisError):  # noqa: A001 - redis-py's name
    """The connection failed, was refused or dropped."""


class TimeoutError(RedisError):  # noqa: A001 - redis-py's name
    """A connect, read or blocking wait timed out."""


class AuthenticationError(ConnectionError):
    """Wrong username or password (``WRONGPASS``, ``NOAUTH``)."""


class AuthorizationError(ConnectionError):
    """The server refused the operation for this user."""


class BusyLoadingError(ConnectionError):
    """The server is loading its dataset (``LOADING``)."""


class MaxConnectionsError(ConnectionError):
    """The connection pool has no free connection."""


class InvalidResponse(RedisError):
    """A reply that could not be parsed."""


class ResponseError(RedisError):
    """An error reply from the server (or the embedded engine)."""


class DataError(RedisError):
    """An argument that cannot be sent (wrong type, conflicting options)."""


class PubSubError(RedisError):
    """Misuse of a PubSub object."""


class WatchError(RedisError):
    """A WATCHed key changed before EXEC."""


class NoScriptError(ResponseError):
    """EVALSHA of a script the server does not have (``NOSCRIPT``)."""


class OutOfMemoryError(ResponseError):
    """The dataset is over ``maxmemory`` and nothing can be evicted (``OOM``)."""


class ExecAbortError(ResponseError):
    """EXEC refused because a queued command was rejected (``EXECABORT``)."""


class ReadOnlyError(ResponseError):
    """A write sent to a read-only replica (``READONLY``)."""


class NoPermissionError(ResponseError):
    """An ACL rule forbids the command or key (``NOPERM``)."""


class ModuleError(ResponseError):
    """MODULE LOAD / UNLOAD failed."""


class LockError(RedisError, ValueError):
    """Acquiring or releasing a lock failed."""

    def __init__(self, message: Optional[str] = None, lock_name: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.lock_name = lock_name


class LockNotOwnedError(LockError):
    """Extending or releasing a lock this client no longer owns."""


class ChildDeadlockedError(Exception):
    """A child process deadlocked after fork()."""


class AuthenticationWrongNumberOfArgsError(ResponseError):
    """AUTH was sent with the wrong number of arguments."""


class RedisClusterException(Exception):
    """Base class of cluster client errors."""


class ClusterError(RedisError):
    """The cluster could not serve the request."""


class ClusterDownError(ClusterError, ResponseError):
    """The cluster is down (``CLUSTERDOWN``)."""


class AskError(ResponseError):
    """A slot is migrating (``ASK``)."""


class TryAgainError(ResponseError):
    """Multi-key operation during resharding (``TRYAGAIN``)."""


class ClusterCrossSlotError(ResponseError):
    """Keys of one command hash to different slots (``CROSSSLOT``)."""


class MovedError(AskError):
    """The slot lives on another node (``MOVED``)."""


class MasterDownError(ClusterDownError):
    """The master is down (``MASTERDOWN``)."""


class SlotNotCoveredError(RedisClusterException):
    """No node serves the slot."""


class CrossSlotTransactionError(RedisClusterException):
    """A cluster transaction touches several slots."""


class InvalidPipelineStack(RedisClusterException):
    """A cluster pipeline was used incorrectly."""


_ExcClass = Type[Exception]

_BY_CODE: Dict[str, Union[_ExcClass, Dict[str, _ExcClass]]] = {
    "ERR": {
        "max number of clients reached": ConnectionError,
        "invalid password": AuthenticationError,
        "wrong number of arguments for 'auth' command": AuthenticationWrongNumberOfArgsError,
        "wrong number of arguments for 'AUTH' command": AuthenticationWrongNumberOfArgsError,
        "AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?": AuthenticationError,
        "Client sent AUTH, but no password is set": AuthenticationError,
    },
    "OOM": OutOfMemoryError,
    "WRONGPASS": AuthenticationError,
    "EXECABORT": ExecAbortError,
    "LOADING": BusyLoadingError,
    "NOSCRIPT": NoScriptError,
    "READONLY": ReadOnlyError,
    "NOAUTH": AuthenticationError,
    "NOPERM": NoPermissionError,
    "ASK": AskError,
    "TRYAGAIN": TryAgainError,
    "MOVED": MovedError,
    "CLUSTERDOWN": ClusterDownError,
    "CROSSSLOT": ClusterCrossSlotError,
    "MASTERDOWN": MasterDownError,
}


def _parse_error(text: str) -> Exception:
    """The exception for an error reply, as redis-py builds it: a known
    code picks the class and is stripped from the message; ``ERR`` maps a
    few exact messages to subclasses and the rest to ResponseError."""
    code = text.split(" ")[0]
    found = _BY_CODE.get(code)
    if found is None:
        return ResponseError(text)
    message = text[len(code) + 1 :]
    cls = found.get(message, ResponseError) if isinstance(found, dict) else found
    try:
        return cls(message, status_code=code)  # type: ignore[call-arg]
    except TypeError:
        return cls(message)


__all__ = [
    "AskError",
    "AuthenticationError",
    "AuthenticationWrongNumberOfArgsError",
    "AuthorizationError",
    "BusyLoadingError",
    "ChildDeadlockedError",
    "ClusterCrossSlotError",
    "ClusterDownError",
    "ClusterError",
    "ConnectionError",
    "CrossSlotTransactionError",
    "DataError",
    "ExecAbortError",
    "InvalidPipelineStack",
    "InvalidResponse",
    "LockError",
    "LockNotOwnedError",
    "MasterDownError",
    "MaxConnectionsError",
    "ModuleError",
    "MovedError",
    "NoPermissionError",
    "NoScriptError",
    "OutOfMemoryError",
    "PubSubError",
    "ReadOnlyError",
    "RedisClusterException",
    "RedisError",
    "ResponseError",
    "SlotNotCoveredError",
    "TimeoutError",
    "TryAgainError",
    "WatchError",
]
