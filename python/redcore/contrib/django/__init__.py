"""Django integration: a session engine and a cache backend on redcore (or
redis-py) clients. Importing this package imports Django; redcore itself
does not need it.

Sessions (one Redis hash per session, see :mod:`redcore.session`)::

    SESSION_ENGINE = "redcore.contrib.django.session"
    REDCORE_SESSION = {
        "URL": "redis://127.0.0.1:6379/0",   # or "memory://name" (embedded)
        "PREFIX": "session:",
        # "CLIENT_KWARGS": {...}, "CLIENT_FACTORY": "path.to.factory",
        # or "CACHE": "default" to share a RedcoreCache's client
    }

Cache, configured like django-redis::

    CACHES = {
        "default": {
            "BACKEND": "redcore.contrib.django.cache.RedcoreCache",
            "LOCATION": "redis://127.0.0.1:6379/1",   # or "memory://name"
            "KEY_PREFIX": "site", "TIMEOUT": 300, "VERSION": 1,
            "OPTIONS": {"CLIENT_KWARGS": {}, "SERIALIZER": "path.to.Serializer"},
        }
    }

>>> from redcore.contrib.django import client_for
>>> client_for("memory://django-doctest").ping()
True
"""

from ._client import client_for, reset_clients

__all__ = ["client_for", "reset_clients"]
