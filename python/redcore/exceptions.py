# mypy: disable-error-code="misc"
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

import enum
from typing import Dict, Optional, Type, Union

from ._compat import redis_base


def _r(name: str) -> tuple:
    """redis-py's exception class ``name`` as an extra base, when redis-py
    is installed: ``except redis.exceptions.X`` then catches redcore's X."""
    return redis_base("redis.exceptions", name)


class RedisError(*(_r('RedisError') or (Exception,))):
    """Base class of every redcore error."""

    def __init__(self, *args: object, status_code: Optional[str] = None) -> None:
        super().__init__(*args)
        self.status_code = status_code


class ConnectionError(RedisError, *_r('ConnectionError')):  # noqa: A001 - redis-py's name
    """The connection failed, was refused or dropped."""


class TimeoutError(RedisError, *_r('TimeoutError')):  # noqa: A001 - redis-py's name
    """A connect, read or blocking wait timed out."""


class AuthenticationError(ConnectionError, *_r('AuthenticationError')):
    """Wrong username or password (``WRONGPASS``, ``NOAUTH``)."""


class AuthorizationError(ConnectionError, *_r('AuthorizationError')):
    """The server refused the operation for this user."""


class BusyLoadingError(ConnectionError, *_r('BusyLoadingError')):
    """The server is loading its dataset (``LOADING``)."""


class MaxConnectionsError(ConnectionError, *_r('MaxConnectionsError')):
    """The connection pool has no free connection."""


class InvalidResponse(RedisError, *_r('InvalidResponse')):
    """A reply that could not be parsed."""


class ResponseError(RedisError, *_r('ResponseError')):
    """An error reply from the server (or the embedded engine)."""


class DataError(RedisError, *_r('DataError')):
    """An argument that cannot be sent (wrong type, conflicting options)."""


class PubSubError(RedisError, *_r('PubSubError')):
    """Misuse of a PubSub object."""


class WatchError(RedisError, *_r('WatchError')):
    """A WATCHed key changed before EXEC."""


class NoScriptError(ResponseError, *_r('NoScriptError')):
    """EVALSHA of a script the server does not have (``NOSCRIPT``)."""


class OutOfMemoryError(ResponseError, *_r('OutOfMemoryError')):
    """The dataset is over ``maxmemory`` and nothing can be evicted (``OOM``)."""


class ExecAbortError(ResponseError, *_r('ExecAbortError')):
    """EXEC refused because a queued command was rejected (``EXECABORT``)."""


class ReadOnlyError(ResponseError, *_r('ReadOnlyError')):
    """A write sent to a read-only replica (``READONLY``)."""


class NoPermissionError(ResponseError, *_r('NoPermissionError')):
    """An ACL rule forbids the command or key (``NOPERM``)."""


class ModuleError(ResponseError, *_r('ModuleError')):
    """MODULE LOAD / UNLOAD failed."""


class LockError(RedisError, *_r('LockError'), ValueError):
    """Acquiring or releasing a lock failed."""

    def __init__(self, message: Optional[str] = None, lock_name: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.lock_name = lock_name


class LockNotOwnedError(LockError, *_r('LockNotOwnedError')):
    """Extending or releasing a lock this client no longer owns."""


class ChildDeadlockedError(*(_r('ChildDeadlockedError') or (Exception,))):
    """A child process deadlocked after fork()."""


class AuthenticationWrongNumberOfArgsError(ResponseError, *_r('AuthenticationWrongNumberOfArgsError')):
    """AUTH was sent with the wrong number of arguments."""


class RedisClusterException(*(_r('RedisClusterException') or (Exception,))):
    """Base class of cluster client errors."""


class ClusterError(RedisError, *_r('ClusterError')):
    """The cluster could not serve the request."""


class ClusterDownError(ClusterError, ResponseError, *_r('ClusterDownError')):
    """The cluster is down (``CLUSTERDOWN``)."""


class AskError(ResponseError, *_r('AskError')):
    """A slot is migrating (``ASK``)."""


class TryAgainError(ResponseError, *_r('TryAgainError')):
    """Multi-key operation during resharding (``TRYAGAIN``)."""


class ClusterCrossSlotError(ResponseError, *_r('ClusterCrossSlotError')):
    """Keys of one command hash to different slots (``CROSSSLOT``)."""


class MovedError(AskError, *_r('MovedError')):
    """The slot lives on another node (``MOVED``)."""


class MasterDownError(ClusterDownError, *_r('MasterDownError')):
    """The master is down (``MASTERDOWN``)."""


class SlotNotCoveredError(RedisClusterException, *_r('SlotNotCoveredError')):
    """No node serves the slot."""


class CrossSlotTransactionError(RedisClusterException, *_r('CrossSlotTransactionError')):
    """A cluster transaction touches several slots."""


class ExternalAuthProviderError(ConnectionError, *_r('ExternalAuthProviderError')):
    """An external authentication provider (a credential provider fetching
    tokens) failed."""


class NoSuchFieldsetError(ResponseError, *_r('NoSuchFieldsetError')):
    """``HIMPORT SET`` named a fieldset the connection has not prepared."""


class IncorrectPolicyType(*(_r('IncorrectPolicyType') or (Exception,))):
    """A cluster request/response policy name that is not a known one."""


class ExceptionType(enum.Enum):
    """How redis-py's observability groups errors."""

    NETWORK = "network"
    TLS = "tls"
    AUTH = "auth"
    SERVER = "server"


class InvalidPipelineStack(RedisClusterException, *_r('InvalidPipelineStack')):
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
    "ExceptionType",
    "ExecAbortError",
    "ExternalAuthProviderError",
    "IncorrectPolicyType",
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
    "NoSuchFieldsetError",
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


def _adopt_all() -> None:
    from ._compat import adopt

    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, BaseException):
            adopt(value)


_adopt_all()
