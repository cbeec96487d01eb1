"""What :mod:`redcore.sentinel` and :mod:`redcore.asyncio.sentinel` share:
everything about Sentinel that does not depend on how commands are sent.

- :class:`SentinelBase`: the arguments of ``Sentinel(...)``, which master
  state is trusted, which replicas are usable, the pools to tell about a
  ``+switch-master`` announcement, and the keyword arguments of the pools
  ``master_for`` / ``slave_for`` make;
- :class:`SentinelPoolBase`: a pool's view of its service (master or
  replicas), the address bookkeeping of a failover (a new master closes
  the connections to the old one; a just-announced switch overrides a
  Sentinel that has not heard of it yet), the replicas' round robin.

The sync and async classes add the I/O: asking the Sentinels, opening
and dropping connections.
"""

from __future__ import annotations

import random
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

Address = Tuple[str, int]


def parse_switch_master(data: Any) -> Optional[Tuple[str, Address, Address]]:
    """``(service, old, new)`` from a ``+switch-master`` message's data
    (``"<service> <old-ip> <old-port> <new-ip> <new-port>"``), or None."""
    text = data.decode() if isinstance(data, (bytes, bytearray)) else str(data)
    parts = text.split()
    if len(parts) != 5:
        return None
    try:
        return parts[0], (parts[1], int(parts[2])), (parts[3], int(parts[4]))
    except ValueError:
        return None


def not_found_message(kind: str, service_name: str, errors: Sequence[str] = ()) -> str:
    """redis-py's text for a missing master (``kind="master"``) or replica."""
    info = f" : {', '.join(errors)}" if errors else ""
    return f"No {kind} found for {service_name!r}{info}"


class SentinelBase:
    """The protocol-independent half of a ``Sentinel``."""

    sentinels: List[Any]
    #: The client class the Sentinels are asked with (sync or asyncio).
    _sentinel_client: Any
    #: Sets up what watching for ``+switch-master`` needs (sync or asyncio).
    _init_watch: Callable[[], None]

    def __init__(
        self,
        sentinels: Sequence[Tuple[str, int]],
        min_other_sentinels: int = 0,
        sentinel_kwargs: Optional[Dict[str, Any]] = None,
        force_master_ip: Optional[str] = None,
        **connection_kwargs: Any,
    ) -> None:
        if sentinel_kwargs is None:
            sentinel_kwargs = {k: v for k, v in connection_kwargs.items() if k.startswith("socket_")}
        self.sentinel_kwargs = sentinel_kwargs
        self.min_other_sentinels = min_other_sentinels
        self.connection_kwargs = connection_kwargs
        self._force_master_ip = force_master_ip
        self._watched: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self.sentinels = [self._sentinel_client(host, port, **sentinel_kwargs) for host, port in sentinels]
        self._init_watch()

    def __repr__(self) -> str:
        addrs = ["{host}:{port}".format_map(s.connection_pool.connection_kwargs) for s in self.sentinels]
        return f"<{type(self).__module__}.{type(self).__name__}(sentinels=[{','.join(addrs)}])>"

    def check_master_state(self, state: Dict[str, Any], service_name: str) -> bool:
        """True if ``state`` (a Sentinel's view of the master) is a master
        up in the view of enough Sentinels."""
        if not state["is_master"] or state["is_sdown"] or state["is_odown"]:
            return False
        return state["num-other-sentinels"] >= self.min_other_sentinels

    def _trusted_master(self, masters: Mapping[str, Any], service_name: str, index: int) -> Optional[Address]:
        """The master address in a Sentinel's ``SENTINEL MASTERS`` reply if
        it is trusted; the Sentinel that answered (at ``index``) moves to
        the front of the list, to be asked first next time."""
        state = masters.get(service_name)
        if not state or not self.check_master_state(state, service_name):
            return None
        self.sentinels[0], self.sentinels[index] = self.sentinels[index], self.sentinels[0]
        ip = self._force_master_ip if self._force_master_ip is not None else state["ip"]
        return ip, state["port"]

    def filter_slaves(self, slaves: Iterable[Mapping[str, Any]]) -> List[Address]:
        """The addresses of replicas neither subjectively nor objectively down."""
        return [(s["ip"], s["port"]) for s in slaves if not (s["is_odown"] or s["is_sdown"])]

    filter_replicas = filter_slaves

    def _pool_kwargs(self, kwargs: Dict[str, Any], is_master: bool) -> Dict[str, Any]:
        """The pool arguments of ``master_for`` / ``slave_for``: the
        Sentinel's connection arguments overridden by the call's."""
        kwargs["is_master"] = is_master
        connection_kwargs = dict(self.connection_kwargs)
        connection_kwargs.update(kwargs)
        return connection_kwargs

    def _announce_switch(self, data: Any) -> None:
        """Tells the master pools of the service a ``+switch-master``
        message names that their master changed."""
        switch = parse_switch_master(data)
        if switch is None:
            return
        service, old, new = switch
        for pool in list(self._watched):
            if pool.is_master and pool.service_name == service:
                pool._switched(old, new)


class SentinelPoolBase:
    """The protocol-independent half of a ``SentinelConnectionPool``. The
    pool class defines ``_switch_drop()``: close its connections now
    (pub/sub ones included: they re-subscribe on the new master)."""

    _switch_drop: Callable[[], None]

    def _init_pool(self, service_name: str, sentinel_manager: Any, kwargs: Dict[str, Any]) -> None:
        """Takes the Sentinel settings out of ``kwargs`` (the rest are the
        connections' arguments) and fills in the placeholder address."""
        self.is_master = bool(kwargs.pop("is_master", True))
        self.check_connection = bool(kwargs.pop("check_connection", False))
        self.service_name = service_name
        self.sentinel_manager = sentinel_manager
        self.master_address: Optional[Address] = None
        self.slave_rr_counter: Optional[int] = None
        # (old, new) of the last +switch-master heard (see _switched).
        self._demoted: Optional[Tuple[Address, Address]] = None
        # The first address; each new connection asks Sentinel again.
        kwargs.setdefault("host", "localhost")
        kwargs.setdefault("port", 6379)

    def __repr__(self) -> str:
        role = "master" if self.is_master else "slave"
        return f"<{type(self).__module__}.{type(self).__name__}(service={self.service_name}({role}))>"

    def _forget_addresses(self) -> None:
        self.master_address = None
        self.slave_rr_counter = None

    def owns_connection(self, connection: Any) -> bool:
        """True if ``connection`` goes where the pool's clients should: for
        a master pool, the master last named by Sentinel."""
        if not self.is_master:
            return True
        address = getattr(connection, "address", None)
        if address is None:
            kw = getattr(connection, "connection_kwargs", None) or {}
            address = (kw.get("host"), kw.get("port"))
        return self.master_address == tuple(address)

    def _switched(self, old: Address, new: Address) -> None:
        """A Sentinel announced a failover from ``old`` to ``new``: drop
        the connections now. Until the Sentinel asked first agrees, its
        answer ``old`` is taken to mean ``new`` (the other Sentinels learn
        the new configuration a moment later)."""
        self._demoted = (old, new)
        self._switch_drop()

    def _settle_master(self, address: Address) -> Address:
        """The master address to use, given Sentinel's answer ``address``;
        a change of master drops the connections to the old one."""
        address = (str(address[0]), int(address[1]))
        demoted = self._demoted
        if demoted is not None:
            if address == demoted[0]:
                address = demoted[1]
            else:
                self._demoted = None
        if self.is_master:
            if self.master_address is not None and self.master_address != address:
                self._switch_drop()
            self.master_address = address
        return address

    def _round_robin(self, slaves: Sequence[Address]) -> Iterator[Address]:
        """The replicas, each once, starting after the last one used (a
        random one the first time)."""
        if not slaves:
            return
        if self.slave_rr_counter is None:
            self.slave_rr_counter = random.randint(0, len(slaves) - 1)
        for _ in range(len(slaves)):
            self.slave_rr_counter = (self.slave_rr_counter + 1) % len(slaves)
            yield slaves[self.slave_rr_counter]
