"""ManagementCommands: redis-py's persistence, replication, cluster,
module, slow log and latency methods (names, signatures, return types).

On the embedded engine these do what a Python user expects of an
in-process engine: ``save()`` / ``bgsave()`` write a real RDB file to the
``dir`` / ``dbfilename`` settings (``dir`` defaults to the working
directory), the engine is a master without replicas (``wait()`` returns
0, ``replicaof("NO", "ONE")`` is OK, a real master is refused), cluster
commands answer as a server with cluster support disabled, and
``shutdown()`` restarts the engine in place instead of ending the process.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ..exceptions import ConnectionError, DataError, RedisError

KeyT = Union[bytes, str, memoryview]


class ManagementCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any
    _is_remote: bool

    # -- persistence ------------------------------------------------------

    def save(self, **kwargs: Any) -> bool:
        """Write the dataset to the RDB file now (``dir``/``dbfilename``;
        the embedded engine's ``dir`` is the working directory).

        >>> import os, tempfile; os.chdir(tempfile.mkdtemp())
        >>> Redis().save(), os.path.exists("dump.rdb")
        (True, True)
        """
        return self.execute_command("SAVE", **kwargs)

    def bgsave(self, schedule: bool = True, **kwargs: Any) -> bool:
        """Write the RDB file in the background (the embedded engine
        snapshots its data at once and writes on a thread); True when
        started. ``info("persistence")["rdb_bgsave_in_progress"]`` tells
        when it is done."""
        pieces = ["SCHEDULE"] if schedule else []
        return self.execute_command("BGSAVE", *pieces, **kwargs)

    def lastsave(self, **kwargs: Any) -> Any:
        """The ``datetime`` of the last successful save (engine start if
        none)."""
        return self.execute_command("LASTSAVE", **kwargs)

    def bgrewriteaof(self, **kwargs: Any) -> bool:
        """Rewrite the append-only file: as Redis 7.0 does even with
        ``appendonly no``, a base RDB and a manifest are written under
        ``dir``/``appenddirname``."""
        return self.execute_command("BGREWRITEAOF", **kwargs)

    def shutdown(
        self,
        save: bool = False,
        nosave: bool = False,
        now: bool = False,
        force: bool = False,
        abort: bool = False,
        **kwargs: Any,
    ) -> None:
        """Shut the server down, saving first if ``save`` (or if save
        points are configured and not ``nosave``).

        A server closes the connection, which counts as success. The
        embedded engine does not end the Python process: it saves as asked,
        then restarts in place (data that was saved stays, as a restart
        would load it; otherwise the dataset starts empty). Returns None;
        raises ResponseError if the save fails (unless ``force``).
        """
        if save and nosave:
            raise DataError("SHUTDOWN save and nosave cannot both be set")
        args = ["SHUTDOWN"]
        for flag, name in ((save, "SAVE"), (nosave, "NOSAVE"), (now, "NOW"), (force, "FORCE"), (abort, "ABORT")):
            if flag:
                args.append(name)
        try:
            self.execute_command(*args, **kwargs)
        except ConnectionError:
            return None
        if not self._is_remote:
            return None
        raise RedisError("SHUTDOWN seems to have failed.")

    # -- replication ------------------------------------------------------

    def role(self) -> List[Any]:
        """``[b"master", offset, replicas]`` (or a replica's / sentinel's
        role); the embedded engine is always ``[b"master", 0, []]``."""
        return self.execute_command("ROLE")

    def wait(self, num_replicas: int, timeout: int, **kwargs: Any) -> int:
        """Wait up to ``timeout`` ms (0: forever) until ``num_replicas``
        replicas acknowledged the writes so far; the number that did. The
        embedded engine has none: 0 (after the timeout if any were asked
        for)."""
        return self.execute_command("WAIT", num_replicas, timeout, **kwargs)

    def waitaof(self, num_local: int, num_replicas: int, timeout: int, **kwargs: Any) -> List[int]:
        """Redis 7.2's WAITAOF: ``[local fsyncs, replica fsyncs]``. The
        embedded engine keeps no AOF: ``num_local > 0`` raises
        ResponseError as a server with ``appendonly no`` does."""
        return self.execute_command("WAITAOF", num_local, num_replicas, timeout, **kwargs)

    def replicaof(self, *args: Any, **kwargs: Any) -> Any:
        """``replicaof("NO", "ONE")`` makes a server a master (the embedded
        engine already is); ``replicaof(host, port)`` makes it a replica,
        which the embedded engine refuses with ResponseError."""
        return self.execute_command("REPLICAOF", *args, **kwargs)

    def slaveof(self, host: Optional[str] = None, port: Optional[int] = None, **kwargs: Any) -> bool:
        """Like :meth:`replicaof`; no arguments means ``NO ONE``."""
        if host is None and port is None:
            return self.execute_command("SLAVEOF", b"NO", b"ONE", **kwargs)
        return self.execute_command("SLAVEOF", host, port, **kwargs)

    def failover(
        self,
        host: Optional[str] = None,
        port: Optional[int] = None,
        force: bool = False,
        abort: bool = False,
        timeout: Optional[int] = None,
        **kwargs: Any,
    ) -> Any:
        """FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: hand the
        master role to a replica. Without replicas (the embedded engine)
        it raises ResponseError as Redis does."""
        pieces: List[Any] = []
        if host is not None or port is not None:
            pieces += ["TO", host, port]
            if force:
                pieces.append("FORCE")
        if abort:
            pieces.append("ABORT")
        if timeout is not None:
            pieces += ["TIMEOUT", timeout]
        return self.execute_command("FAILOVER", *pieces, **kwargs)

    def sync(self) -> bytes:
        """A full sync's RDB payload (the embedded engine returns its
        snapshot; no command stream follows)."""
        return self.execute_command("SYNC", NEVER_DECODE=[])

    def psync(self, replicationid: str, offset: int) -> bytes:
        """Start a replication stream; the embedded engine always answers
        ``FULLRESYNC <replid> 0`` (use :meth:`sync` for the snapshot)."""
        return self.execute_command("PSYNC", replicationid, offset, NEVER_DECODE=[])

    # -- cluster ----------------------------------------------------------

    def cluster(self, cluster_arg: str, *args: Any, **kwargs: Any) -> Any:
        """Any CLUSTER subcommand; on a server without cluster support
        (and on the embedded engine) it raises ResponseError."""
        return self.execute_command(f"CLUSTER {cluster_arg.upper()}", *args, **kwargs)

    def readonly(self, **kwargs: Any) -> bool:
        """Allow reads from a cluster replica on this connection."""
        return self.execute_command("READONLY", **kwargs)

    def readwrite(self, **kwargs: Any) -> bool:
        """Undo :meth:`readonly`."""
        return self.execute_command("READWRITE", **kwargs)

    # -- modules ----------------------------------------------------------

    def module_list(self) -> List[Any]:
        """Loaded modules as dicts (the embedded engine has none)."""
        return self.execute_command("MODULE LIST")

    def module_load(self, path: str, *args: Any) -> bool:
        """Load a module library (the embedded engine cannot: ResponseError)."""
        return self.execute_command("MODULE LOAD", path, *args)

    def module_loadex(self, path: str, options: Optional[List[str]] = None, args: Optional[List[str]] = None) -> Any:
        """MODULE LOADEX with ``CONFIG`` options and ``ARGS``."""
        pieces: List[Any] = []
        if options is not None:
            pieces.append("CONFIG")
            pieces.extend(options)
        if args is not None:
            pieces.append("ARGS")
            pieces.extend(args)
        return self.execute_command("MODULE LOADEX", path, *pieces)

    def module_unload(self, name: str) -> bool:
        """Unload module ``name``."""
        return self.execute_command("MODULE UNLOAD", name)

    # -- slow log and latency ---------------------------------------------

    def slowlog_get(self, num: Optional[int] = None, **kwargs: Any) -> List[Any]:
        """The newest ``num`` (default 10) slow log entries as dicts:
        ``id``, ``start_time``, ``duration`` (µs), ``command``,
        ``client_address``, ``client_name``."""
        args: List[Any] = ["SLOWLOG GET"]
        if num is not None:
            args.append(num)
        if getattr(self, "_decode_responses", False):
            kwargs["NEVER_DECODE"] = []
        return self.execute_command(*args, **kwargs)

    def slowlog_len(self, **kwargs: Any) -> int:
        """Number of slow log entries."""
        return self.execute_command("SLOWLOG LEN", **kwargs)

    def slowlog_reset(self, **kwargs: Any) -> bool:
        """Empty the slow log."""
        return self.execute_command("SLOWLOG RESET", **kwargs)

    def latency_doctor(self) -> Any:
        """A human-readable latency report (redis-py leaves this out)."""
        return self.execute_command("LATENCY DOCTOR")

    def latency_graph(self, event: str) -> Any:
        """An ASCII chart of ``event``'s latency samples."""
        return self.execute_command("LATENCY GRAPH", event)

    def latency_histogram(self, *args: str) -> Any:
        """Per-command latency histograms: ``{name: {"calls": n,
        "histogram_usec": {µs: cumulative count}}}``."""
        return self.execute_command("LATENCY HISTOGRAM", *args)

    def latency_history(self, event: str) -> List[List[int]]:
        """``[[unix time, ms], ...]`` samples of ``event``."""
        return self.execute_command("LATENCY HISTORY", event)

    def latency_latest(self) -> List[List[Any]]:
        """``[[event, time, latest ms, max ms], ...]``."""
        return self.execute_command("LATENCY LATEST")

    def latency_reset(self, *events: str) -> int:
        """Drop the samples of ``events`` (all when none); how many were."""
        return self.execute_command("LATENCY RESET", *events)

    # -- command table ------------------------------------------------------

    def command_docs(self, *args: str) -> Dict[str, Any]:
        """Documentation of the named commands (all when none):
        ``{name: {"summary": ..., "since": ..., "group": ..., "complexity":
        ..., "history": ..., "subcommands": {...}}}`` (redis-py leaves this
        method out; the engine's table has no argument trees).

        >>> Redis(decode_responses=True).command_docs("get")["get"]["since"]
        '1.0.0'
        """
        return self.execute_command("COMMAND DOCS", *args)

    def command_getkeysandflags(self, *args: str) -> List[Any]:
        """The keys of a full command line, each as ``[key, [flags]]``.

        >>> Redis().command_getkeysandflags("LMOVE", "a", "b", "LEFT", "RIGHT")
        [[b'a', [b'RW', b'access', b'delete']], [b'b', [b'RW', b'insert']]]
        """
        return self.execute_command("COMMAND GETKEYSANDFLAGS", *args)

    # -- debug ----------------------------------------------------------------

    def debug_object(self, key: KeyT, **kwargs: Any) -> Any:
        """Low-level details of the value at ``key`` as a dict (``encoding``,
        ``serializedlength``, ``lru_seconds_idle``...). DEBUG must be
        enabled: ``Redis(config={"enable-debug-command": "yes"})`` on the
        embedded engine."""
        return self.execute_command("DEBUG OBJECT", key, **kwargs)

    def debug_segfault(self, **kwargs: Any) -> None:
        """Not implemented in the client, as in redis-py: send
        ``execute_command("DEBUG", "SEGFAULT")`` to crash a server on
        purpose (the embedded engine refuses it: it would end this Python
        process)."""
        raise NotImplementedError(
            """
            DEBUG SEGFAULT is intentionally not implemented in the client.

            For more information, see https://redis.io/commands/debug-segfault
            """
        )

    # -- misc ---------------------------------------------------------------

    def migrate(
        self,
        host: str,
        port: int,
        keys: Any,
        destination_db: int,
        timeout: int,
        copy: bool = False,
        replace: bool = False,
        auth: Optional[str] = None,
        **kwargs: Any,
    ) -> Any:
        """Move ``keys`` to the server at ``host``:``port``, database
        ``destination_db`` (``timeout`` ms for each I/O step); ``copy``
        keeps them here, ``replace`` overwrites existing ones there, ``auth``
        is the target's password. Replies OK, or NOKEY when none of the keys
        exist. The embedded engine connects with redcore's own client.
        """
        keys = list(keys) if isinstance(keys, (list, tuple)) else [keys]
        if not keys:
            raise DataError("MIGRATE requires at least one key")
        pieces: List[Any] = []
        if copy:
            pieces.append(b"COPY")
        if replace:
            pieces.append(b"REPLACE")
        if auth:
            pieces += [b"AUTH", auth]
        pieces.append(b"KEYS")
        pieces.extend(keys)
        return self.execute_command("MIGRATE", host, port, "", destination_db, timeout, *pieces, **kwargs)

    def lolwut(self, *version_numbers: Union[str, float], **kwargs: Any) -> Any:
        """The server's version line (and, on servers, generative art)."""
        if version_numbers:
            return self.execute_command("LOLWUT VERSION", *version_numbers, **kwargs)
        return self.execute_command("LOLWUT", **kwargs)

    def stralgo(
        self,
        algo: str,
        value1: KeyT,
        value2: KeyT,
        specific_argument: str = "strings",
        len: bool = False,
        idx: bool = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> Any:
        """STRALGO LCS, removed in Redis 7.0 (use LCS): servers from 7.0
        on, and the embedded engine, raise ResponseError (unknown
        command)."""
        if algo not in ("LCS",):
            raise DataError("The supported algorithms are: LCS")
        if specific_argument not in ("keys", "strings"):
            raise DataError("specific_argument can be only keys or strings")
        if len and idx:
            raise DataError("len and idx cannot be provided together.")
        pieces: List[Any] = [algo, specific_argument.upper(), value1, value2]
        if len:
            pieces.append(b"LEN")
        if idx:
            pieces.append(b"IDX")
        if minmatchlen is not None:
            pieces += [b"MINMATCHLEN", int(minmatchlen)]
        if withmatchlen:
            pieces.append(b"WITHMATCHLEN")
        return self.execute_command("STRALGO", *pieces, **kwargs)


__all__ = ["ManagementCommands"]
