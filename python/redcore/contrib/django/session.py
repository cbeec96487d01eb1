"""Django session engine: ``SESSION_ENGINE = "redcore.contrib.django.session"``.

Each session is a Redis hash (see :mod:`redcore.session`), one field per
session key serialized with ``SESSION_SERIALIZER``. ``save()`` writes only
the keys whose serialized value changed since the session was loaded and
deletes removed keys, so concurrent requests that change different keys of
one session keep both changes. The TTL is Django's expiry age
(``SESSION_COOKIE_AGE`` or ``set_expiry``), reset on every save; with
``SESSION_SAVE_EVERY_REQUEST`` each request resets it.

Settings::

    REDCORE_SESSION = {
        "URL": "redis://127.0.0.1:6379/0",   # or "memory://name"
        "PREFIX": "session:",                 # key prefix (default)
        "CLIENT_KWARGS": {},                  # passed to the factory
        "CLIENT_FACTORY": None,               # dotted path; default redcore.Redis.from_url
        # "CACHE": "default",                 # instead of URL: a RedcoreCache's client
    }

``cycle_key()`` (called by ``django.contrib.auth.login``) moves the stored
session to a fresh id with :meth:`redcore.session.SessionStore.rotate`; the
old id stops working at once.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Tuple

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.core.signals import setting_changed

from ...session import SessionStore as _Store
from ...session import diff, new_session_id
from ._client import client_for

__all__ = ["SessionStore", "session_store"]

_stores: Dict[Tuple[str, str], _Store] = {}
_stores_lock = threading.Lock()


class _BytesSerializer:
    """Django's session serializers read bytes; a client with
    ``decode_responses=True`` hands back str."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def dumps(self, obj: Any) -> Any:
        return self.inner.dumps(obj)

    def loads(self, data: Any) -> Any:
        if isinstance(data, str):
            data = data.encode("latin-1")
        return self.inner.loads(data)


def session_store(serializer: Any = None) -> _Store:
    """The :class:`redcore.session.SessionStore` configured by
    ``settings.REDCORE_SESSION`` (made once per configuration).

    >>> session_store().prefix
    'session:'
    """
    config = dict(getattr(settings, "REDCORE_SESSION", None) or {})
    if serializer is None:
        from django.utils.module_loading import import_string

        serializer = import_string(settings.SESSION_SERIALIZER)
    key = (repr(sorted(config.items())), repr(serializer))
    with _stores_lock:
        store = _stores.get(key)
        if store is not None:
            return store
    if "CACHE" in config:
        from django.core.cache import caches

        client = caches[config["CACHE"]].client
    else:
        url = config.get("URL")
        if url is None and config.get("CLIENT_FACTORY") is None:
            raise ValueError("settings.REDCORE_SESSION needs a URL, a CLIENT_FACTORY or a CACHE")
        client = client_for(url, config.get("CLIENT_KWARGS"), config.get("CLIENT_FACTORY"))
    store = _Store(
        client,
        prefix=config.get("PREFIX", "session:"),
        ttl=None,  # every write passes Django's expiry age
        serializer=_BytesSerializer(serializer() if isinstance(serializer, type) else serializer),
        sliding=False,
    )
    with _stores_lock:
        return _stores.setdefault(key, store)


def _forget_stores(*, setting: str, **kwargs: Any) -> None:
    if setting in ("REDCORE_SESSION", "SESSION_SERIALIZER", "CACHES"):
        with _stores_lock:
            _stores.clear()


setting_changed.connect(_forget_stores)


class SessionStore(SessionBase):
    """Django's ``SessionStore`` for this engine.

    >>> s = SessionStore()
    >>> s["user"] = 7
    >>> s.save()                       # creates the session, picks the id
    >>> SessionStore(s.session_key)["user"]
    7
    """

    def __init__(self, session_key: Optional[str] = None) -> None:
        super().__init__(session_key)
        self._redcore_stored: Dict[str, Any] = {}

    @property
    def store(self) -> _Store:
        """The underlying :class:`redcore.session.SessionStore`."""
        return session_store(self.serializer)

    def _expiry_seconds(self) -> float:
        # An expiry date in the past still needs a positive TTL: the
        # session then vanishes at once.
        return max(float(self.get_expiry_age()), 0.001)

    def _get_new_session_key(self) -> str:
        return new_session_id()

    def load(self) -> Dict[str, Any]:
        raw = self.store.get_raw(self.session_key, extend=False) if self.session_key else None
        if raw is None:
            self._session_key = None
            self._redcore_stored = {}
            return {}
        self._redcore_stored = raw
        return self.store.decode(raw)

    def exists(self, session_key: Optional[str]) -> bool:
        return bool(session_key) and self.store.exists(session_key)  # type: ignore[arg-type]

    def create(self) -> None:
        data = self._get_session(no_load=True)
        self._session_key = self.store.create(data, ttl=self._expiry_seconds())  # type: ignore[assignment]
        self._redcore_stored = self.store.encode(data)
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        fields = self.store.encode(data)
        ttl = self._expiry_seconds()
        if must_create:
            if not self.store.create_as(self.session_key, data, ttl=ttl):
                raise CreateError
        else:
            changes, removed = diff(self._redcore_stored, fields)
            if not self.store.patch(self.session_key, changes, removed, ttl=ttl):
                raise UpdateError
        self._redcore_stored = fields

    def delete(self, session_key: Optional[str] = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.store.delete(session_key)
        if session_key == self.session_key:
            self._redcore_stored = {}

    def cycle_key(self) -> None:
        """Moves the session to a new id, keeping its data (stored and
        not yet saved); the old id stops working now."""
        data = self._session
        key = self.session_key
        new_key = self.store.rotate(key, ttl=self._expiry_seconds()) if key else None
        if new_key is None:
            self._redcore_stored = {}
            self.create()
        else:
            self._session_key = new_key  # type: ignore[assignment]
        self._session_cache = data
        self.modified = True

    async def acycle_key(self) -> None:
        await sync_to_async(self.cycle_key)()

    @classmethod
    def clear_expired(cls) -> None:
        """Nothing to do: Redis expires sessions itself."""
