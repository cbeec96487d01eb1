"""SentinelCommands: Redis Sentinel's SENTINEL subcommands (redis-py
method names and signatures).

They are meant for a client connected to a ``redis-sentinel`` process
(``Redis(port=26379)``); a plain Redis server, and the embedded engine,
answer them with ``unknown command 'SENTINEL'``. Replies are shaped by the
sentinel callbacks in ``redcore._callbacks``: a master's, replica's or
sentinel's state is a dict with str keys and values, numbers as ``int``,
``flags`` as the comma-separated text and ``is_master``, ``is_slave``,
``is_sdown``, ``is_odown``, ``is_sentinel``, ``is_disconnected`` and
``is_master_down`` booleans read from the flags.

Usage against a sentinel::

    s = redcore.Redis(port=26379)
    host, port = s.sentinel_get_master_addr_by_name("mymaster")
    s.sentinel_master("mymaster")["num-slaves"]
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Tuple, Union


class SentinelCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def sentinel(self, *args: Any) -> None:
        """Deprecated: does nothing but warn (``DeprecationWarning``), as in
        redis-py; call the ``sentinel_*`` methods instead."""
        warnings.warn(DeprecationWarning("Use the individual sentinel_* methods"))

    def sentinel_get_master_addr_by_name(
        self, service_name: Any, return_responses: bool = False
    ) -> Union[Optional[Tuple[Any, int]], bool]:
        """``(host, port)`` of the current master of ``service_name``
        (host as bytes unless ``decode_responses``), or None when the
        sentinel knows no such master. ``return_responses`` is accepted
        for redis-py's ``Sentinel`` (which asks several sentinels at once);
        a client talks to one, so the address is always returned."""
        return self.execute_command(
            "SENTINEL GET-MASTER-ADDR-BY-NAME", service_name, once=True, return_responses=return_responses
        )

    def sentinel_master(self, service_name: Any, return_responses: bool = False) -> Union[Dict[str, Any], bool]:
        """The state of master ``service_name`` as a dict (see the module
        docstring); ``return_responses`` as for
        :meth:`sentinel_get_master_addr_by_name`."""
        return self.execute_command("SENTINEL MASTER", service_name, return_responses=return_responses)

    def sentinel_masters(self) -> Dict[str, Dict[str, Any]]:
        """Every monitored master's state, keyed by its name."""
        return self.execute_command("SENTINEL MASTERS")

    def sentinel_monitor(self, name: Any, ip: Any, port: Any, quorum: Any) -> bool:
        """Start monitoring the master at ``ip:port`` under ``name``, with
        ``quorum`` sentinels needed to agree it is down; True on success."""
        return self.execute_command("SENTINEL MONITOR", name, ip, port, quorum)

    def sentinel_remove(self, name: Any) -> bool:
        """Stop monitoring master ``name``; True on success."""
        return self.execute_command("SENTINEL REMOVE", name)

    def sentinel_sentinels(self, service_name: Any, return_responses: bool = False) -> Union[List[Dict[str, Any]], bool]:
        """The state of each other sentinel monitoring ``service_name``
        (one dict each); ``return_responses`` as for
        :meth:`sentinel_get_master_addr_by_name`."""
        return self.execute_command("SENTINEL SENTINELS", service_name, return_responses=return_responses)

    def sentinel_set(self, name: Any, option: Any, value: Any) -> bool:
        """Change monitoring parameter ``option`` of master ``name``
        (``down-after-milliseconds``, ``quorum``...); True on success."""
        return self.execute_command("SENTINEL SET", name, option, value)

    def sentinel_slaves(self, service_name: Any) -> List[Dict[str, Any]]:
        """The state of each replica of master ``service_name`` (one dict
        each)."""
        return self.execute_command("SENTINEL SLAVES", service_name)

    def sentinel_reset(self, pattern: Any) -> bool:
        """Reset every master whose name matches the glob ``pattern``:
        forget its failover state, replicas and sentinels (they are
        discovered again). The reply counts the masters reset, so this
        returns False like redis-py (which expects ``OK``)."""
        return self.execute_command("SENTINEL RESET", pattern, once=True)

    def sentinel_failover(self, new_master_name: Any) -> bool:
        """Fail master ``new_master_name`` over to one of its replicas now,
        without asking the other sentinels; True when started."""
        return self.execute_command("SENTINEL FAILOVER", new_master_name)

    def sentinel_ckquorum(self, new_master_name: Any) -> bool:
        """Check that the sentinels of ``new_master_name`` can reach the
        quorum and the majority a failover needs. Failure raises
        ``ResponseError``; success is an ``OK <explanation>`` reply, which
        redis-py (expecting a bare ``OK``) turns into False, and so does
        this method."""
        return self.execute_command("SENTINEL CKQUORUM", new_master_name, once=True)

    def sentinel_flushconfig(self) -> bool:
        """Make the sentinel rewrite its configuration file with its
        current state; True on success."""
        return self.execute_command("SENTINEL FLUSHCONFIG")
