"""Version 1: caching frequent queries (cache-aside).

``fetch(user_id)`` stands for an expensive database query. Cache its result
as JSON under ``user:<id>`` for ``ttl`` seconds; serve later calls from
Redis; drop the entry when the data changes.
"""

import json
from typing import Any, Callable, Dict


def cache_key(user_id: int) -> str:
    """The key of a user's cached profile: ``user:<id>``."""
    return f"user:{user_id}"


def get_user(r: Any, user_id: int, fetch: Callable[[int], Dict[str, Any]], ttl: int = 300) -> Dict[str, Any]:
    """The user's profile: from the cache when there, else ``fetch(user_id)``
    stored as JSON with a ``ttl``-second expiry."""
    cached = r.get(cache_key(user_id))
    if cached is not None:
        return json.loads(cached)
    data = fetch(user_id)
    r.set(cache_key(user_id), json.dumps(data), ex=ttl)
    return data


def update_user(r: Any, user_id: int, data: Dict[str, Any], save: Callable[[int, Dict[str, Any]], None]) -> None:
    """Saves new data with ``save(user_id, data)`` and invalidates the
    cached copy, so the next ``get_user`` reads fresh data."""
    save(user_id, data)
    r.delete(cache_key(user_id))
