"""``python -m django_orm.run SCENARIO KIND URL`` (from tests/): sets up
Django with an in-memory SQLite database, hands the library a pool of
KIND on URL (``embedded``: a redcore ``memory://`` pool; ``remote``: a
redcore pool on redis-server; ``oracle``: redis-py's own pool there), runs
SCENARIO and prints a JSON object of what it saw."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, List, Tuple

import django
import redis
from django.conf import settings

import redcore


def pool(kind: str, url: str) -> Any:
    return (redis.ConnectionPool if kind == "oracle" else redcore.ConnectionPool).from_url(url)


def configure(apps: List[str], **extra: Any) -> None:
    settings.configure(
        SECRET_KEY="redcore-tests",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", *apps, "django_orm"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        **extra,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)


def queries(fn: Callable[[], Any]) -> Tuple[Any, int]:
    """``fn()``'s result and how many SQL queries it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


def cacheops(kind: str, url: str, insideout: bool) -> Dict[str, Any]:
    """django-cacheops: querysets cached in Redis by Lua scripts and
    invalidated, granularly, when a saved row matches them."""
    configure(
        ["cacheops"],
        # cacheops wraps this in redis-py's Redis (CACHEOPS_CLIENT_CLASS =
        # "redcore.Redis" cannot work: see the README).
        CACHEOPS_REDIS={"connection_pool": pool(kind, url)},
        CACHEOPS={"django_orm.*": {"ops": "all", "timeout": 60}},
        CACHEOPS_INSIDEOUT=insideout,
    )
    from cacheops import cached_as, invalidate_all, invalidate_model
    from cacheops.redis import redis_client

    from .models import Category, Post

    redis_client.flushdb()
    news = Category.objects.create(title="news")
    for i in range(5):
        Post.objects.create(title=f"p{i}", category=news, visible=i % 2 == 0)

    def visible() -> List[str]:
        return list(Post.objects.filter(visible=True).order_by("id").values_list("title", flat=True))

    seen: Dict[str, Any] = {}
    seen["first"] = queries(visible)
    seen["cached"] = queries(visible)
    Post.objects.create(title="p5", category=news, visible=True)
    seen["after_matching_insert"] = queries(visible)
    Post.objects.create(title="p6", category=news, visible=False)
    seen["after_other_insert"] = queries(visible)
    seen["get"] = [queries(lambda: Post.objects.get(title="p1").title) for _ in range(2)]
    p1 = Post.objects.get(title="p1")
    p1.visible = True
    p1.save()
    seen["after_update"] = queries(visible)
    seen["count"] = [queries(lambda: Post.objects.filter(category=news).count()) for _ in range(2)]
    calls = []

    @cached_as(Post, timeout=10)
    def titles() -> List[str]:
        calls.append(1)
        return sorted(Post.objects.nocache().values_list("title", flat=True))

    seen["cached_as"] = [titles(), titles(), len(calls)]
    # An invalidation set outlives the keys it lists: 2 * timeout + 10 s.
    ttls = {redis_client.ttl(key) for key in redis_client.keys("conj:*")}
    seen["conj_ttls"] = insideout or (bool(ttls) and all(30 - 2 <= ttl <= 130 for ttl in ttls))
    invalidate_model(Post)
    seen["after_invalidate_model"] = queries(visible)[1]
    invalidate_all()
    seen["after_invalidate_all"] = redis_client.dbsize()
    return seen


def defender(kind: str, url: str) -> Dict[str, Any]:
    """django-defender: failed logins counted in Redis, blocking a
    username and an IP past the limit, on a django-redis cache's client."""
    options: Dict[str, Any] = {}
    if kind != "oracle":
        options["CONNECTION_POOL_CLASS"] = "redcore.ConnectionPool"
    configure(
        ["defender"],
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "defender": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": options},
        },
        DEFENDER_REDIS_NAME="defender",
        DEFENDER_LOGIN_FAILURE_LIMIT=2,
        DEFENDER_COOLOFF_TIME=60,
    )
    from django.test import RequestFactory

    from defender import utils
    from defender.models import AccessAttempt

    client = utils.REDIS_SERVER
    client.flushdb()
    rf = RequestFactory()

    def login(username: str, ip: str) -> Any:
        return rf.post("/login/", {"username": username}, REMOTE_ADDR=ip)

    ann = login("Ann", "10.0.0.1")
    seen: Dict[str, Any] = {"pool": type(client.connection_pool).__module__.split(".")[0]}
    seen["checks"] = [utils.check_request(ann, login_unsuccessful=True) for _ in range(3)]
    seen["attempts"] = utils.get_user_attempts(ann)
    seen["locked"] = [utils.is_already_locked(ann), utils.is_already_locked(login("bob", "10.0.0.2"))]
    seen["blocked"] = [utils.get_blocked_usernames(), utils.get_blocked_ips()]
    seen["block_ttl"] = 0 < client.ttl(utils.get_username_blocked_cache_key("ann")) <= 60
    seen["lockout_status"] = utils.lockout_response(ann, "ann").status_code
    utils.add_login_attempt_to_db(ann, login_valid=False)
    seen["stored"] = list(AccessAttempt.objects.values_list("username", "login_valid"))
    utils.unblock_username("ann")
    utils.unblock_ip("10.0.0.1")
    seen["after_unblock"] = [utils.is_already_locked(ann), utils.get_user_attempts(ann)]
    utils.check_request(ann, login_unsuccessful=True)
    seen["success_resets"] = [utils.check_request(ann, login_unsuccessful=False), utils.get_user_attempts(ann)]
    seen["keys_left"] = sorted(k.decode() for k in client.keys("defender:*"))
    return seen


SCENARIOS: Dict[str, Callable[[str, str], Dict[str, Any]]] = {
    "cacheops": lambda kind, url: cacheops(kind, url, insideout=False),
    "cacheops-insideout": lambda kind, url: cacheops(kind, url, insideout=True),
    "defender": defender,
}


if __name__ == "__main__":
    scenario, kind, url = sys.argv[1:4]
    # bytes as their repr, so a str where redis-py gives bytes shows.
    print(json.dumps(SCENARIOS[scenario](kind, url), default=repr))
