"""redis-py's command methods, grouped as Redis groups its commands.

Each mixin builds the arguments and calls ``execute_command``; replies are
shaped by the response callbacks (``redcore._callbacks``). The most used
methods (GET, SET, HSET, LPUSH, ZADD...) are defined in Rust on the base
class instead and are not repeated here.
"""

from .acl import AclCommands
from .bitmaps import BitmapCommands
from .functions import FunctionCommands
from .connection import ConnectionCommands
from .geo import GeoCommands
from .hashes import HashCommands, HashDataPersistOptions
from .hyperloglog import HyperLogLogCommands
from .keys import KeyCommands
from .lists import ListCommands
from .management import ManagementCommands
from .pubsub import PubSubCommands
from .scripting import ScriptingCommands
from .sentinel import SentinelCommands
from .server import ServerCommands
from .sets import SetCommands
from .sorting import SortDumpCommands
from .streams import StreamCommands
from .strings import DataPersistOptions, StringCommands
from .zsets import SortedSetCommands


class CoreCommands(
    KeyCommands,
    StringCommands,
    ListCommands,
    HashCommands,
    SetCommands,
    SortedSetCommands,
    ServerCommands,
    StreamCommands,
    HyperLogLogCommands,
    BitmapCommands,
    GeoCommands,
    SortDumpCommands,
    ScriptingCommands,
    FunctionCommands,
    PubSubCommands,
    SentinelCommands,
    ManagementCommands,
    AclCommands,
    ConnectionCommands,
):
    """All command mixins."""


__all__ = [
    "AclCommands",
    "ConnectionCommands",
    "BitmapCommands",
    "CoreCommands",
    "FunctionCommands",
    "GeoCommands",
    "HyperLogLogCommands",
    "PubSubCommands",
    "ScriptingCommands",
    "SentinelCommands",
    "SortDumpCommands",
    "StreamCommands",
    "HashCommands",
    "DataPersistOptions",
    "HashDataPersistOptions",
    "KeyCommands",
    "ListCommands",
    "ManagementCommands",
    "ServerCommands",
    "SetCommands",
    "SortedSetCommands",
    "StringCommands",
]
