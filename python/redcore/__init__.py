"""redcore: Redis-compatible storage with redis-py's API and a Rust core.

``import redcore as redis`` and existing redis-py code keeps working. With
no server address, ``Redis()`` runs an embedded engine in this process::

    >>> import redcore as redis
    >>> r = redis.Redis(decode_responses=True)
    >>> r.zadd("scores", {"ada": 3, "bob": 1})
    2
    >>> r.zrevrange("scores", 0, 0, withscores=True)
    [('ada', 3.0)]
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any, Dict, List

from ._redcore import __version__

# What ``redcore`` exports, and the submodule each name lives in. A name is
# imported on first use (PEP 562), so that ``import redcore`` stays light
# and ``python -m redcore serve`` never loads the client side (nor redis-py,
# which the client's classes derive from when it is installed).
_EXPORTS: Dict[str, str] = {
    # the RESP server
    "Server": "server",
    # clients
    "Redis": "client",
    "StrictRedis": "client",
    "Pipeline": "client",
    "from_url": "client",
    "RedisCluster": "cluster",
    "Sentinel": "sentinel",
    "SentinelConnectionPool": "sentinel",
    "SentinelManagedConnection": "sentinel",
    "SentinelManagedSSLConnection": "sentinel",
    "PubSub": "_pubsub",
    "Subscription": "_pubsub",
    "Lock": "lock",
    "CredentialProvider": "credentials",
    "DriverInfo": "driver_info",
    "default_backoff": "backoff",
    "UsernamePasswordCredentialProvider": "credentials",
    # connections and pools
    "BlockingConnectionPool": "connection",
    "Connection": "connection",
    "ConnectionPool": "connection",
    "SSLConnection": "connection",
    "UnixDomainSocketConnection": "connection",
    # keyspace notifications (redis-py exports these at the top too)
    "ChannelType": "keyspace_notifications",
    "ClusterKeyspaceNotifications": "keyspace_notifications",
    "EventType": "keyspace_notifications",
    "KeyeventChannel": "keyspace_notifications",
    "KeyNotification": "keyspace_notifications",
    "KeyspaceChannel": "keyspace_notifications",
    "KeyspaceNotifications": "keyspace_notifications",
    "KeyspaceNotificationsInterface": "keyspace_notifications",
    "KeyspaceWorkerThread": "keyspace_notifications",
    "SubkeyeventChannel": "keyspace_notifications",
    "SubkeyspaceChannel": "keyspace_notifications",
    "SubkeyspaceeventChannel": "keyspace_notifications",
    "SubkeyspaceitemChannel": "keyspace_notifications",
    "get_channel_type": "keyspace_notifications",
    # exceptions
    "AuthenticationError": "exceptions",
    "AuthenticationWrongNumberOfArgsError": "exceptions",
    "BusyLoadingError": "exceptions",
    "ChildDeadlockedError": "exceptions",
    "CrossSlotTransactionError": "exceptions",
    "InvalidPipelineStack": "exceptions",
    "RedisClusterException": "exceptions",
    "ConnectionError": "exceptions",
    "DataError": "exceptions",
    "InvalidResponse": "exceptions",
    "MaxConnectionsError": "exceptions",
    "NoPermissionError": "exceptions",
    "OutOfMemoryError": "exceptions",
    "PubSubError": "exceptions",
    "ReadOnlyError": "exceptions",
    "RedisError": "exceptions",
    "ResponseError": "exceptions",
    "TimeoutError": "exceptions",
    "WatchError": "exceptions",
}

__all__ = [*_EXPORTS, "__version__", "backoff", "exceptions", "retry"]

if TYPE_CHECKING:  # what type checkers see; a test keeps it equal to _EXPORTS
    from . import backoff, exceptions, retry
    from .backoff import default_backoff
    from ._pubsub import PubSub, Subscription
    from .client import Pipeline, Redis, StrictRedis, from_url
    from .cluster import RedisCluster
    from .connection import (
        BlockingConnectionPool,
        Connection,
        ConnectionPool,
        SSLConnection,
        UnixDomainSocketConnection,
    )
    from .credentials import CredentialProvider, UsernamePasswordCredentialProvider
    from .driver_info import DriverInfo
    from .exceptions import (
        AuthenticationError,
        AuthenticationWrongNumberOfArgsError,
        BusyLoadingError,
        ChildDeadlockedError,
        ConnectionError,
        CrossSlotTransactionError,
        DataError,
        InvalidPipelineStack,
        InvalidResponse,
        MaxConnectionsError,
        NoPermissionError,
        OutOfMemoryError,
        PubSubError,
        ReadOnlyError,
        RedisClusterException,
        RedisError,
        ResponseError,
        TimeoutError,
        WatchError,
    )
    from .keyspace_notifications import (
        ChannelType,
        ClusterKeyspaceNotifications,
        EventType,
        KeyeventChannel,
        KeyNotification,
        KeyspaceChannel,
        KeyspaceNotifications,
        KeyspaceNotificationsInterface,
        KeyspaceWorkerThread,
        SubkeyeventChannel,
        SubkeyspaceChannel,
        SubkeyspaceeventChannel,
        SubkeyspaceitemChannel,
        get_channel_type,
    )
    from .lock import Lock
    from .sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection, SentinelManagedSSLConnection
    from .server import Server


def __getattr__(name: str) -> Any:
    """Imports an exported name, or a submodule (``redcore.lock``), on
    first use; it is then a plain module attribute."""
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext redcore``: the ``%redis`` / ``%%redis`` magics (see
    :mod:`redcore._magic`)."""
    from ._magic import load_ipython_extension as load

    load(ipython)
