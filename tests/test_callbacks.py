"""Response callbacks as redis-py users change them: ``set_response_callback``,
edits of ``response_callbacks`` in place, and assigning a whole mapping. The
change applies to every method sending the command (the ones written in Rust
included) and to pipelines, on every backend."""

from __future__ import annotations

from typing import Any

import pytest


def test_set_response_callback_applies_to_fast_methods(r: Any) -> None:
    r.set("k", "v")
    r.hset("h", "f", "1")
    r.zadd("z", {"a": 1})
    r.set_response_callback("GET", lambda resp: ("got", resp))
    r.set_response_callback("HGETALL", lambda resp: sorted(resp.items()) if isinstance(resp, dict) else resp)
    r.set_response_callback("ZSCORE", lambda resp: ("score", float(resp)))
    r.set_response_callback("SET", lambda resp, **kw: "set!")
    assert r.get("k") == ("got", b"v")
    assert r["k"] == ("got", b"v")
    assert r.hgetall("h") == [(b"f", b"1")]
    assert r.zscore("z", "a") == ("score", 1.0)
    assert r.set("k2", "x") == "set!"
    assert r.execute_command("GET", "k") == ("got", b"v")


def test_in_place_edits_and_removal(r: Any) -> None:
    r.set("k", "v")
    assert r.get("k") == b"v"
    r.response_callbacks["GET"] = lambda resp: resp.upper()
    assert r.get("k") == b"V"
    del r.response_callbacks["GET"]
    assert r.get("k") == b"v"


def test_pipelines_use_the_clients_callbacks(r: Any) -> None:
    r.set_response_callback("INCRBY", lambda resp: resp * 10)
    with r.pipeline() as pipe:
        pipe.incr("n").incr("n", 2)
        assert pipe.execute() == [10, 30]


def test_assigning_a_mapping(r: Any) -> None:
    r.set("k", "v")
    r.zadd("z", {"a": 1})
    callbacks = {"GET": lambda resp: ("mine", resp)}
    r.response_callbacks = callbacks
    assert r.get("k") == ("mine", b"v")
    # Commands missing from the new mapping get raw replies.
    assert r.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES") in ([[b"a", 1.0]], [b"a", b"1"])
    # Later edits of the assigned dict apply.
    callbacks["GET"] = lambda resp: ("edited", resp)
    assert r.get("k") == ("edited", b"v")


def test_redcore_lookups_are_case_insensitive() -> None:
    import redcore

    r = redcore.Redis()
    r.set("k", "v")
    r.set_response_callback("get", lambda resp: resp.decode())
    assert "GET" in r.response_callbacks and "get" in r.response_callbacks
    assert r.get("k") == "v"
    r.response_callbacks = {"get": lambda resp: 1}
    assert r.get("k") == 1


@pytest.mark.parametrize("protocol", [None, 2, 3])
def test_default_tables_are_redis_pys(make: Any, protocol: Any) -> None:
    """Every command redis-py has a callback for has one here, for each
    protocol (the shapes themselves are compared in test_resp3.py)."""
    import redis
    from redis._parsers.response_callbacks import get_response_callbacks

    ours = make(protocol=protocol).response_callbacks
    theirs = get_response_callbacks(protocol, True)
    # Commands redcore does not implement yet (other groups add them).
    missing = {k for k in theirs if k.upper() not in ours}
    foreign = {k for k in missing if k.split()[0] in (
        "ACL", "CLUSTER", "SENTINEL", "FUNCTION", "MODULE", "DEBUG", "SLOWLOG", "STRALGO",
        "HOTKEYS", "ARINFO", "HIMPORT", "CLIENT") or k.startswith("HIMPORT")}
    assert not (missing - foreign), sorted(missing - foreign)
    assert redis.__version__.startswith("8.")


def test_callback_dict_copies_are_independent() -> None:
    import copy

    import redcore

    r = redcore.Redis()
    r.set("k", "v")
    for dup in (r.response_callbacks.copy(), copy.copy(r.response_callbacks), copy.deepcopy(r.response_callbacks)):
        assert type(dup) is type(r.response_callbacks) and dup == r.response_callbacks
        dup["GET"] = lambda resp: "copy"
        assert r.get("k") == b"v"
    other = redcore.Redis()
    other.set("k", "v")
    other.response_callbacks = copy.deepcopy(r.response_callbacks)
    other.response_callbacks["GET"] = lambda resp: "other"
    assert other.get("k") == "other" and r.get("k") == b"v"
