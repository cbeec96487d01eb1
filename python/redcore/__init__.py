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

from . import backoff, exceptions, retry
from ._redcore import __version__
from ._pubsub import PubSub, Subscription
from .lock import Lock
from .client import Pipeline, Redis, StrictRedis, from_url
from .connection import (
    BlockingConnectionPool,
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
)
from .keyspace_notifications import (  # redis-py exports these at the top too
    ChannelType,
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
from .exceptions import (
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    BusyLoadingError,
    ChildDeadlockedError,
    ConnectionError,
    DataError,
    MaxConnectionsError,
    NoPermissionError,
    InvalidResponse,
    OutOfMemoryError,
    PubSubError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)

__all__ = [
    # keyspace notifications
    "ChannelType",
    "EventType",
    "KeyeventChannel",
    "KeyNotification",
    "KeyspaceChannel",
    "KeyspaceNotifications",
    "KeyspaceNotificationsInterface",
    "KeyspaceWorkerThread",
    "SubkeyeventChannel",
    "SubkeyspaceChannel",
    "SubkeyspaceeventChannel",
    "SubkeyspaceitemChannel",
    "get_channel_type",
    "AuthenticationError",
    "AuthenticationWrongNumberOfArgsError",
    "BlockingConnectionPool",
    "BusyLoadingError",
    "ChildDeadlockedError",
    "Connection",
    "ConnectionError",
    "ConnectionPool",
    "DataError",
    "InvalidResponse",
    "Lock",
    "MaxConnectionsError",
    "NoPermissionError",
    "OutOfMemoryError",
    "Pipeline",
    "PubSub",
    "PubSubError",
    "ReadOnlyError",
    "Redis",
    "RedisError",
    "ResponseError",
    "SSLConnection",
    "StrictRedis",
    "Subscription",
    "TimeoutError",
    "UnixDomainSocketConnection",
    "WatchError",
    "__version__",
    "backoff",
    "exceptions",
    "from_url",
    "retry",
]


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext redcore``: the ``%redis`` / ``%%redis`` magics (see
    :mod:`redcore._magic`)."""
    from ._magic import load_ipython_extension as load

    load(ipython)
