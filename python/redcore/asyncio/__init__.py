"""redcore's asyncio API, a drop-in for ``redis.asyncio``.

``import redcore.asyncio as redis`` and the same awaited calls run on an
embedded engine (no address: in-process, each awaited command completes
without a thread hop) or on a server (``host=``/``url=``), where the
commands of all tasks are pipelined on a shared connection.

    >>> import asyncio
    >>> import redcore.asyncio as aredis
    >>> async def main():
    ...     r = aredis.Redis(decode_responses=True)
    ...     await r.rpush("q", "a", "b")
    ...     return await r.blpop(["q"], timeout=1)
    >>> asyncio.run(main())
    ('q', 'a')
"""

from .._pubsub import Subscription
from ..backoff import default_backoff
from ..exceptions import (
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    BusyLoadingError,
    ChildDeadlockedError,
    ConnectionError,
    DataError,
    InvalidResponse,
    OutOfMemoryError,
    PubSubError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)
from .client import Pipeline, Redis, Script, StrictRedis, from_url
from .connection import (
    BlockingConnectionPool,
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
)
from .keyspace_notifications import (
    AsyncClusterKeyspaceNotifications,
    AsyncKeyspaceNotifications,
    AsyncKeyspaceNotificationsInterface,
)
from .lock import Lock
from .pubsub import PubSub
from .cluster import RedisCluster
from .sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection, SentinelManagedSSLConnection

__all__ = [
    "AsyncClusterKeyspaceNotifications",
    "AsyncKeyspaceNotifications",
    "AsyncKeyspaceNotificationsInterface",
    "AuthenticationError",
    "AuthenticationWrongNumberOfArgsError",
    "BlockingConnectionPool",
    "BusyLoadingError",
    "ChildDeadlockedError",
    "ConnectionError",
    "DataError",
    "InvalidResponse",
    "OutOfMemoryError",
    "PubSubError",
    "ReadOnlyError",
    "RedisError",
    "ResponseError",
    "Subscription",
    "TimeoutError",
    "WatchError",
    "default_backoff",
    "Connection",
    "ConnectionPool",
    "Lock",
    "Pipeline",
    "PubSub",
    "Redis",
    "RedisCluster",
    "SSLConnection",
    "Sentinel",
    "SentinelConnectionPool",
    "SentinelManagedConnection",
    "SentinelManagedSSLConnection",
    "Script",
    "StrictRedis",
    "UnixDomainSocketConnection",
    "from_url",
]
