"""Scenario 1: user session management.

A session is a hash ``session:<id>`` with a TTL; every read slides the
expiry forward. Ids are unguessable. Any web server of the fleet that shares
the Redis reads the same sessions.
"""

import secrets
from typing import Any, Dict, Optional


def _key(sid: str) -> str:
    return f"session:{sid}"


def create_session(r: Any, data: Dict[str, str], ttl: int = 1800) -> str:
    """Stores ``data`` in a new session; returns its random id."""
    sid = secrets.token_urlsafe(32)
    with r.pipeline() as pipe:
        pipe.hset(_key(sid), mapping={"_created": "1", **data})
        pipe.expire(_key(sid), ttl)
        pipe.execute()
    return sid


def get_session(r: Any, sid: str, ttl: int = 1800) -> Optional[Dict[str, str]]:
    """The session's data (str keys and values), its expiry reset to
    ``ttl``; None when it does not exist or expired."""
    with r.pipeline() as pipe:
        pipe.hgetall(_key(sid))
        pipe.expire(_key(sid), ttl)
        raw, _ = pipe.execute()
    if not raw:
        return None
    data = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}
    data.pop("_created", None)
    return data


def destroy_session(r: Any, sid: str) -> bool:
    """Logs out: deletes the session; True if it existed."""
    return bool(r.delete(_key(sid)))
