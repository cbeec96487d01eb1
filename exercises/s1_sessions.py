"""Scenario 1: user session management.

A session is a hash ``session:<id>`` with a TTL; every read slides the
expiry forward. Ids are unguessable. Any web server of the fleet that shares
the Redis reads the same sessions.
"""

import secrets
from typing import Any, Dict, Optional


def create_session(r: Any, data: Dict[str, str], ttl: int = 1800) -> str:
    """Stores ``data`` in a new session; returns its random id."""
    raise NotImplementedError("s1_sessions.create_session: write it (see the docstring)")


def get_session(r: Any, sid: str, ttl: int = 1800) -> Optional[Dict[str, str]]:
    """The session's data (str keys and values), its expiry reset to
    ``ttl``; None when it does not exist or expired."""
    raise NotImplementedError("s1_sessions.get_session: write it (see the docstring)")


def destroy_session(r: Any, sid: str) -> bool:
    """Logs out: deletes the session; True if it existed."""
    raise NotImplementedError("s1_sessions.destroy_session: write it (see the docstring)")
