"""Settings of the example project: redcore is Django's cache backend and
session engine. The only line that names a place is ``REDIS_URL``:
``memory://...`` (the embedded engine, the default) or ``redis://...``."""

import os

REDIS_URL = os.environ.get("REDIS_URL", "memory://django-example")

SECRET_KEY = os.environ.get("SECRET_KEY", "dev only: set SECRET_KEY")
DEBUG = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "shop.urls"
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
DATABASES: dict = {}  # no SQL database: sessions and cache live in Redis
USE_TZ = True

# A django-redis-style cache backend (cache_page, low-level cache API).
CACHES = {
    "default": {
        "BACKEND": "redcore.contrib.django.cache.RedcoreCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shop",
        "TIMEOUT": 300,
    }
}

# Sessions as Redis hashes, sharing the cache's client.
SESSION_ENGINE = "redcore.contrib.django.session"
REDCORE_SESSION = {"CACHE": "default", "PREFIX": "session:"}
