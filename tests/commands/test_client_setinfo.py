"""CLIENT SETINFO and CLIENT NO-TOUCH (Redis 7.2) on the embedded engine.

redis-server 7.0 has neither, so there is no local oracle: these tests
follow Redis's documentation (https://redis.io/commands/client-setinfo/,
https://redis.io/commands/client-no-touch/) and run on the embedded
backend only.

One departure, chosen so that the engine's CLIENT LIST stays identical to
redis-server 7.0's where tests compare them: Redis 7.2 ends every CLIENT
LIST / CLIENT INFO line with ``lib-name=... lib-ver=...``; the engine adds
those two fields only to the lines of clients that set one. And an
embedded client sends no CLIENT SETINFO unless given ``lib_name``,
``lib_version`` or ``driver_info`` (a network client sends redcore's name
and version by default, as redis-py sends its own).
"""

import time
from typing import Any

import pytest

import redcore


@pytest.fixture
def r() -> Any:
    c = redcore.Redis(decode_responses=True)
    yield c
    c.close()


def fields(line: Any) -> dict:
    return dict(part.split("=", 1) for part in str(line).split())


def test_setinfo_shows_in_client_info_and_list(r: Any) -> None:
    assert "lib-name" not in r.client_info()
    assert r.client_setinfo("LIB-NAME", "redis-py(django-redis_v5.4.0)") == "OK"
    assert r.client_setinfo("lib-ver", "1.2.3") == "OK"
    info = r.client_info()
    assert info["lib-name"] == "redis-py(django-redis_v5.4.0)" and info["lib-ver"] == "1.2.3"
    mine = [c for c in r.client_list() if c["id"] == str(r.client_id())]
    assert mine[0]["lib-name"] == "redis-py(django-redis_v5.4.0)"
    # The raw line ends with the two fields, after resp=.
    raw = r.execute_command("CLIENT", "INFO")
    assert str(raw).rstrip().endswith("resp=3 lib-name=redis-py(django-redis_v5.4.0) lib-ver=1.2.3")
    # An empty value clears it.
    assert r.client_setinfo("lib-name", "") == "OK"
    assert r.client_info()["lib-name"] == ""
    assert r.client_setinfo("lib-ver", "") == "OK"
    assert "lib-name" not in r.client_info()


def test_setinfo_errors(r: Any) -> None:
    with pytest.raises(redcore.ResponseError) as e:
        r.client_setinfo("lib-foo", "x")
    assert str(e.value) == "Unrecognized option 'lib-foo'"
    for bad in ("two words", "new\nline", "caf\u00e9"):
        with pytest.raises(redcore.ResponseError) as e:
            r.client_setinfo("LIB-NAME", bad)
        assert str(e.value) == "LIB-NAME cannot contain spaces, newlines or special characters."
    with pytest.raises(redcore.ResponseError) as e:
        r.execute_command("CLIENT", "SETINFO", "lib-name")
    assert "wrong number of arguments for 'client|setinfo'" in str(e.value)
    assert "lib-name" not in r.client_info()


def test_constructor_arguments_set_lib_info() -> None:
    c = redcore.Redis(lib_name="myapp", lib_version="2.0", decode_responses=True)
    info = c.client_info()
    assert (info["lib-name"], info["lib-ver"]) == ("myapp", "2.0")
    # Pipelines and clients rebuilt from connection_kwargs carry them too.
    pipe = c.pipeline(transaction=False)
    pipe.client_info()
    assert pipe.execute()[0]["lib-name"] == "myapp"
    rebuilt = redcore.Redis(**c.connection_pool.connection_kwargs)
    assert rebuilt.client_info()["lib-ver"] == "2.0"

    class Driver:
        formatted_name = "redis-py(celery_v5.3)"
        lib_version = "8.1.0"

    d = redcore.Redis(driver_info=Driver(), decode_responses=True)
    assert d.client_info()["lib-name"] == "redis-py(celery_v5.3)"
    # driver_info=None sends nothing; a value SETINFO refuses is dropped,
    # as redis-py ignores the error.
    assert "lib-name" not in redcore.Redis(driver_info=None, decode_responses=True).client_info()
    bad = redcore.Redis(lib_name="has space", lib_version="1", decode_responses=True).client_info()
    assert (bad["lib-name"], bad["lib-ver"]) == ("", "1")


def test_driver_info_builds_lib_name_as_redis_pys_does() -> None:
    import redis.driver_info

    ours = redcore.DriverInfo().add_upstream_driver("django-redis", "6.0.0").add_upstream_driver("celery", "5.3")
    assert ours.formatted_name == "redcore(celery_v5.3;django-redis_v6.0.0)"
    assert ours.upstream_drivers == ["celery_v5.3", "django-redis_v6.0.0"]
    assert (ours.name, ours.lib_version) == ("redcore", redcore.__version__)
    theirs = redis.driver_info.DriverInfo(name="redcore", lib_version=redcore.__version__)
    theirs.add_upstream_driver("django-redis", "6.0.0").add_upstream_driver("celery", "5.3")
    assert theirs.formatted_name == ours.formatted_name
    assert redcore.DriverInfo(name=None).formatted_name is None
    assert redcore.DriverInfo(name="app", lib_version=None).formatted_name == "app"
    # The same refusals, with the same messages.
    for name, version in (("Django", "1"), ("dj ango", "1"), ("x", "1 2"), ("x", "(1)"), (None, "1"), ("x", None)):
        with pytest.raises(ValueError) as mine:
            redcore.DriverInfo().add_upstream_driver(name, version)  # type: ignore[arg-type]
        with pytest.raises(ValueError) as ref:
            redis.driver_info.DriverInfo().add_upstream_driver(name, version)  # type: ignore[arg-type]
        assert str(mine.value) == str(ref.value)
    # A client announces it.
    c = redcore.Redis(driver_info=ours, decode_responses=True)
    info = c.client_info()
    assert (info["lib-name"], info["lib-ver"]) == (ours.formatted_name, redcore.__version__)
    nameless = redcore.Redis(driver_info=redcore.DriverInfo(name=None), decode_responses=True).client_info()
    assert (nameless.get("lib-name", ""), nameless["lib-ver"]) == ("", redcore.__version__)


def test_no_touch_leaves_lfu_counters_alone(r: Any) -> None:
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.config_set("lfu-log-factor", "0")  # every access counts
    r.set("k", "v")
    start = r.object("freq", "k")
    r.get("k")
    assert r.object("freq", "k") == start + 1
    assert r.client_no_touch("ON") == "OK"
    assert "T" in r.client_info()["flags"]
    for _ in range(3):
        assert r.get("k") == "v"
        r.set("k", "v")
        r.exists("k")
    assert r.object("freq", "k") == start + 1
    # TOUCH still counts.
    assert r.touch("k") == 1
    assert r.object("freq", "k") == start + 2
    # Another client's accesses are not affected.
    other = redcore.Redis(connection_pool=r.connection_pool)
    other.get("k")
    assert r.object("freq", "k") == start + 3
    assert r.client_no_touch("OFF") == "OK"
    assert "T" not in r.client_info()["flags"]
    r.get("k")
    assert r.object("freq", "k") == start + 4


def test_no_touch_leaves_lru_idle_time_alone(r: Any) -> None:
    r.set("k", "v")
    r.client_no_touch("ON")
    time.sleep(1.1)
    r.get("k")
    assert r.object("idletime", "k") >= 1
    r.client_no_touch("OFF")
    r.get("k")
    assert r.object("idletime", "k") == 0


def test_no_touch_errors_and_reset(r: Any) -> None:
    with pytest.raises(redcore.ResponseError) as e:
        r.client_no_touch("maybe")
    assert str(e.value) == "syntax error"
    r.client_no_touch("ON")
    pipe = r.pipeline(transaction=False)
    pipe.client_no_touch("ON")
    pipe.execute_command("RESET")
    pipe.client_info()
    assert "T" not in pipe.execute()[2]["flags"]
