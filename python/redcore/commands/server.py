"""ServerCommands: redis-py's server and connection methods (names,
signatures, return types)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

from ..exceptions import DataError

KeyT = Union[bytes, str, memoryview]
PatternT = Union[bytes, str]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]


class ServerCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    # -- connection -------------------------------------------------------

    def ping(self, **kwargs: Any) -> bool:
        """True if the engine answers PONG.

        >>> Redis().ping()
        True
        """
        return self.execute_command("PING", **kwargs)

    def echo(self, value: EncodableT, **kwargs: Any) -> Any:
        """``value``, sent back.

        >>> Redis().echo("hi")
        b'hi'
        """
        return self.execute_command("ECHO", value, **kwargs)

    def select(self, index: int, **kwargs: Any) -> bool:
        """Switch this client to database ``index``.

        >>> r = Redis()
        >>> r.select(1)
        True
        """
        return self.execute_command("SELECT", index, **kwargs)

    def client_id(self, **kwargs: Any) -> int:
        """The id of this client."""
        return self.execute_command("CLIENT ID", **kwargs)

    def client_getname(self, **kwargs: Any) -> Any:
        """The name set with ``client_setname``, or None."""
        return self.execute_command("CLIENT GETNAME", **kwargs)

    def client_setname(self, name: str, **kwargs: Any) -> bool:
        """Name this client (no spaces or special characters).

        >>> r = Redis()
        >>> r.client_setname("worker-1"), r.client_getname()
        (True, 'worker-1')
        """
        return self.execute_command("CLIENT SETNAME", name, **kwargs)

    def client_info(self, **kwargs: Any) -> Dict[str, Any]:
        """Details about this client as a dict (``id``, ``name``, ``db``...)."""
        return self.execute_command("CLIENT INFO", **kwargs)

    def client_list(
        self, _type: Optional[str] = None, client_id: List[EncodableT] = [], **kwargs: Any
    ) -> List[Dict[str, str]]:
        """Details about connected clients, optionally filtered by type or
        ids (an embedded engine lists every client handle, pipeline and
        pub/sub object that has run a command on it)."""
        args: List[Any] = []
        if _type is not None:
            client_types = ("normal", "master", "replica", "pubsub")
            if str(_type).lower() not in client_types:
                raise DataError(f"CLIENT LIST _type must be one of {client_types!r}")
            args.append(b"TYPE")
            args.append(_type)
        if not isinstance(client_id, list):
            raise DataError("client_id must be a list")
        if client_id:
            args.append(b"ID")
            args += client_id
        return self.execute_command("CLIENT LIST", *args, **kwargs)

    # -- keyspace-wide ----------------------------------------------------

    def dbsize(self, **kwargs: Any) -> int:
        """Number of keys in the current database.

        >>> r = Redis()
        >>> r.set("k", 1) and r.dbsize()
        1
        """
        return self.execute_command("DBSIZE", **kwargs)

    def flushdb(self, asynchronous: bool = False, **kwargs: Any) -> bool:
        """Delete every key of the current database."""
        args = [b"ASYNC"] if asynchronous else []
        return self.execute_command("FLUSHDB", *args, **kwargs)

    def flushall(self, asynchronous: bool = False, **kwargs: Any) -> bool:
        """Delete every key of every database."""
        args = [b"ASYNC"] if asynchronous else []
        return self.execute_command("FLUSHALL", *args, **kwargs)

    def swapdb(self, first: int, second: int, **kwargs: Any) -> bool:
        """Swap the contents of databases ``first`` and ``second``."""
        return self.execute_command("SWAPDB", first, second, **kwargs)

    # -- server -----------------------------------------------------------

    def time(self, **kwargs: Any) -> Tuple[int, int]:
        """``(seconds, microseconds)`` of the engine's clock."""
        return self.execute_command("TIME", **kwargs)

    def info(self, section: Optional[str] = None, *args: str, **kwargs: Any) -> Dict[str, Any]:
        """INFO as a dict; ``section`` (and more names in ``args``) select
        sections, ``"all"`` / ``"everything"`` add the statistics ones.

        >>> Redis().info("server")["redis_version"]
        '7.0.15'
        """
        if section is None:
            return self.execute_command("INFO", **kwargs)
        return self.execute_command("INFO", section, *args, **kwargs)

    def config_get(self, pattern: PatternT = "*", *args: PatternT, **kwargs: Any) -> Dict[Any, Any]:
        """Settings whose names match the glob patterns, as a dict.

        >>> Redis().config_get("maxmemory-policy")
        {'maxmemory-policy': 'noeviction'}
        """
        return self.execute_command("CONFIG GET", pattern, *args, **kwargs)

    def config_set(self, name: KeyT, value: EncodableT, *args: Union[KeyT, EncodableT], **kwargs: Any) -> bool:
        """Set ``name`` to ``value`` (more name/value pairs may follow; they
        are applied together or not at all).

        >>> r = Redis()
        >>> r.config_set("maxmemory", "1gb"), r.config_get("maxmemory")
        (True, {'maxmemory': '1073741824'})
        """
        return self.execute_command("CONFIG SET", name, value, *args, **kwargs)

    def config_resetstat(self, **kwargs: Any) -> bool:
        """Reset the counters INFO reports."""
        return self.execute_command("CONFIG RESETSTAT", **kwargs)

    def config_rewrite(self, **kwargs: Any) -> Any:
        """Rewrite the config file (an embedded engine has none: raises
        ResponseError, as a server started without one does)."""
        return self.execute_command("CONFIG REWRITE", **kwargs)

    def command(self, **kwargs: Any) -> Dict[str, Dict[str, Any]]:
        """Details of every command, by name (arity, flags, key positions,
        ACL categories...)."""
        return self.execute_command("COMMAND", **kwargs)

    def command_info(self, **kwargs: Any) -> None:
        """Not available, as in redis-py: use ``execute_command("COMMAND
        INFO", name)``."""
        raise NotImplementedError("COMMAND INFO is intentionally not implemented in the client.")

    def command_count(self, **kwargs: Any) -> int:
        """Number of commands."""
        return self.execute_command("COMMAND COUNT", **kwargs)

    def command_list(
        self,
        module: Optional[str] = None,
        category: Optional[str] = None,
        pattern: Optional[str] = None,
    ) -> List[Any]:
        """Command names, optionally only those of a module, an ACL
        ``category`` or matching a glob ``pattern``.

        >>> Redis().command_list(pattern="ttl")
        [b'ttl']
        """
        pieces: List[Any] = []
        if module is not None:
            pieces.extend(["MODULE", module])
        if category is not None:
            pieces.extend(["ACLCAT", category])
        if pattern is not None:
            pieces.extend(["PATTERN", pattern])
        if pieces:
            pieces.insert(0, "FILTERBY")
        return self.execute_command("COMMAND LIST", *pieces)

    def command_getkeys(self, *args: Any) -> List[Any]:
        """The keys of a full command line.

        >>> Redis().command_getkeys("MSET", "a", 1, "b", 2)
        ['a', 'b']
        """
        return self.execute_command("COMMAND GETKEYS", *args)


__all__ = ["ServerCommands"]
