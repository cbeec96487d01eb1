"""Server-side Flask sessions on :class:`redcore.session.SessionStore`.

The cookie holds only the session id (optionally signed with the app's
``SECRET_KEY``); the data lives in Redis, one hash field per session key.
At the end of a request only the keys whose serialized value changed are
written (and removed keys deleted), so two concurrent requests that change
different keys of one session both keep their change; in-place changes to
nested values are caught too, without ``session.modified = True``.

    >>> import redcore
    >>> from flask import Flask, session
    >>> from redcore.contrib.flask import init_app, rotate_session
    >>> app = Flask(__name__)
    >>> _ = init_app(app, redcore.Redis())
    >>> @app.post("/login")
    ... def login():
    ...     rotate_session()          # a new id on login: no session fixation
    ...     session["user"] = "ada"
    ...     return "ok"
    >>> with app.test_client() as c:
    ...     c.post("/login").text, c.get_cookie("session") is not None
    ('ok', True)

Cookie attributes follow Flask's ``SESSION_COOKIE_*`` settings; permanent
sessions (``session.permanent = True``) live ``PERMANENT_SESSION_LIFETIME``
on the server and in the browser. ``session.clear()`` deletes the session
on the server and the cookie (logout). With ``SESSION_REFRESH_EACH_REQUEST``
(Flask's default) every request resets the server-side TTL, so the TTL is
an idle timeout; without it the TTL counts from the last change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Mapping, Optional

from flask import Flask, Request, Response, current_app
from flask import session as _current_session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

from ..session import Serializer, SessionStore, diff

__all__ = ["RedcoreSession", "RedcoreSessionInterface", "init_app", "rotate_session"]


class RedcoreSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """The session object Flask hands to views: a dict that records
    whether it changed, plus :meth:`regenerate`.

    Attributes:
        sid: the session id, or None until the session is first stored.
        new: True if the request brought no valid session.
    """

    modified = False

    def __init__(
        self,
        initial: Optional[Mapping[str, Any]] = None,
        sid: Optional[str] = None,
        stored: Optional[Dict[str, Any]] = None,
        interface: Optional["RedcoreSessionInterface"] = None,
    ) -> None:
        def on_update(self: RedcoreSession) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.new = sid is None
        # Serialized values as stored, to write only what changes.
        self.stored: Dict[str, Any] = stored or {}
        self.interface = interface
        self.stale_cookie = False
        self.modified = False

    def regenerate(self) -> None:
        """Moves this session to a new id now (the old id stops working at
        once) and sends the new id in this response's cookie. Call it on
        login and on any privilege change.

        >>> s = RedcoreSession({"a": 1})
        >>> s.regenerate()  # not stored yet: it gets a fresh id when saved
        >>> s.sid is None and s.modified
        True
        """
        if self.sid is not None and self.interface is not None:
            store = self.interface.store
            new_sid = store.rotate(self.sid, ttl=self.interface.session_ttl(current_app, self))
            if new_sid is None:
                # Gone meanwhile: store the whole dict under a fresh id.
                self.stored = {}
            self.sid = new_sid
        self.modified = True


def rotate_session(session: Optional[RedcoreSession] = None) -> None:
    """Gives ``session`` (default: the current request's) a new id; see
    :meth:`RedcoreSession.regenerate`.

    >>> from flask import Flask
    >>> app = Flask(__name__)
    >>> rotate_session(RedcoreSession())
    """
    target: Any = _current_session if session is None else session
    target.regenerate()


class RedcoreSessionInterface(SessionInterface):
    """Flask ``SessionInterface`` storing sessions in Redis.

    Args:
        client: a redcore or redis-py client.
        prefix: key prefix of the sessions.
        ttl: server-side lifetime of non-permanent sessions (seconds or
            timedelta); default ``PERMANENT_SESSION_LIFETIME``. Permanent
            sessions always use ``PERMANENT_SESSION_LIFETIME``.
        serializer: how each value is stored; default Flask's tagged JSON
            (tuples, bytes, datetimes, UUIDs and Markup round-trip).
        signed: sign the id in the cookie with ``SECRET_KEY`` (and
            ``SECRET_KEY_FALLBACKS``); a forged cookie is then rejected
            without a round trip. Needs a secret key.
        salt: the salt of that signature.

    >>> import redcore
    >>> from flask import Flask
    >>> app = Flask(__name__)
    >>> app.session_interface = RedcoreSessionInterface(redcore.Redis(), prefix="web:s:")
    """

    session_class = RedcoreSession

    def __init__(
        self,
        client: Any,
        prefix: str = "session:",
        ttl: Optional[Any] = None,
        serializer: Optional[Serializer] = None,
        signed: bool = False,
        salt: str = "redcore-session",
    ) -> None:
        self.store = SessionStore(
            client,
            prefix=prefix,
            ttl=None,
            serializer=serializer if serializer is not None else TaggedJSONSerializer(),
            sliding=False,
        )
        self.ttl = ttl
        self.signed = signed
        self.salt = salt

    # --- configuration --------------------------------------------------

    def session_ttl(self, app: Flask, session: SessionMixin) -> timedelta:
        """How long the session lives on the server from now."""
        if session.permanent or self.ttl is None:
            return app.permanent_session_lifetime
        return self.ttl if isinstance(self.ttl, timedelta) else timedelta(seconds=self.ttl)

    def _signer(self, app: Flask) -> Optional[Signer]:
        if not app.secret_key:
            return None
        keys = [*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key]
        return Signer(keys, salt=self.salt)  # type: ignore[arg-type]

    def _cookie_value(self, app: Flask, sid: str) -> str:
        if not self.signed:
            return sid
        signer = self._signer(app)
        assert signer is not None  # open_session refused to run without one
        return signer.sign(sid).decode("ascii")

    def _sid_from_cookie(self, app: Flask, value: str) -> Optional[str]:
        if not self.signed:
            return value
        signer = self._signer(app)
        try:
            return signer.unsign(value).decode("ascii") if signer else None
        except (BadSignature, UnicodeDecodeError):
            return None

    # --- SessionInterface -----------------------------------------------

    def open_session(self, app: Flask, request: Request) -> Optional[RedcoreSession]:
        """Loads the session named by the request's cookie (a new, empty
        one if there is none or it is unknown)."""
        if self.signed and not app.secret_key:
            return None  # Flask's NullSession explains the missing key
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class(interface=self)
        sid = self._sid_from_cookie(app, cookie)
        raw = self.store.get_raw(sid, extend=False) if sid else None
        if raw is None:
            session = self.session_class(interface=self)
            session.stale_cookie = True
            return session
        return self.session_class(self.store.decode(raw), sid=sid, stored=raw, interface=self)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Writes what changed, resets the TTL and sets or deletes the
        cookie, following Flask's rules for when a cookie is sent."""
        assert isinstance(session, RedcoreSession)
        name = self.get_cookie_name(app)
        cookie = dict(
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
            httponly=self.get_cookie_httponly(app),
        )
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            # Emptied (logout) or never used: nothing may stay behind.
            if session.sid is not None:
                self.store.delete(session.sid)
            if session.modified or session.stale_cookie or session.sid is not None:
                response.delete_cookie(name, **cookie)  # type: ignore[arg-type]
                response.vary.add("Cookie")
            return
        ttl = self.session_ttl(app, session)
        fields = self.store.encode(dict(session))
        if session.sid is None:
            session.sid = self.store.create(session, ttl=ttl)
            session.modified = True
        else:
            changes, removed = diff(session.stored, fields)
            if changes or removed:
                session.modified = True
                if not self.store.patch(session.sid, changes, removed, ttl=ttl):
                    # Deleted meanwhile (logout in another tab): don't bring
                    # it back; the user starts over.
                    session.sid = None
                    response.delete_cookie(name, **cookie)  # type: ignore[arg-type]
                    return
            elif app.config["SESSION_REFRESH_EACH_REQUEST"]:
                self.store.touch(session.sid, ttl=ttl)
        session.stored = fields
        if session.modified or self.should_set_cookie(app, session):
            response.set_cookie(
                name,
                self._cookie_value(app, session.sid),
                expires=self.get_expiration_time(app, session),
                **cookie,  # type: ignore[arg-type]
            )
            response.vary.add("Cookie")


def init_app(app: Flask, client: Any = None, **options: Any) -> RedcoreSessionInterface:
    """Installs a :class:`RedcoreSessionInterface` on ``app``. Without a
    ``client``, one is made from ``app.config["REDCORE_SESSION_URL"]``
    (``redis://...`` or ``memory://name``); ``REDCORE_SESSION_PREFIX`` and
    ``REDCORE_SESSION_SIGNED`` fill in ``prefix`` and ``signed``; other
    keyword arguments go to the interface.

    >>> from flask import Flask
    >>> app = Flask(__name__)
    >>> app.config["REDCORE_SESSION_URL"] = "memory://flask-doctest"
    >>> init_app(app).store.prefix
    'session:'
    """
    if client is None:
        url = app.config.get("REDCORE_SESSION_URL")
        if not url:
            raise ValueError("init_app needs a client or app.config['REDCORE_SESSION_URL']")
        import redcore

        client = redcore.from_url(url)
    if "REDCORE_SESSION_PREFIX" in app.config:
        options.setdefault("prefix", app.config["REDCORE_SESSION_PREFIX"])
    if "REDCORE_SESSION_SIGNED" in app.config:
        options.setdefault("signed", bool(app.config["REDCORE_SESSION_SIGNED"]))
    interface = RedcoreSessionInterface(client, **options)
    app.session_interface = interface
    return interface
