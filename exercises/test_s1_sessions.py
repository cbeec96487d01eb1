"""Scenario 1: session storage with sliding expiry."""

import time


def test_round_trip(impl, redis):
    sid = impl.create_session(redis, {"user": "ada", "role": "admin"})
    assert len(sid) >= 20, "session ids must be long and random"
    assert impl.get_session(redis, sid) == {"user": "ada", "role": "admin"}
    assert impl.get_session(redis, "forged") is None


def test_ids_are_unique(impl, redis):
    assert len({impl.create_session(redis, {"user": "ada"}) for _ in range(50)}) == 50


def test_sessions_expire_and_reads_slide_the_expiry(impl, redis):
    sid = impl.create_session(redis, {"user": "ada"}, ttl=1)
    assert 0 < redis.ttl(f"session:{sid}") <= 1
    assert impl.get_session(redis, sid, ttl=60) == {"user": "ada"}
    assert redis.ttl(f"session:{sid}") > 1, "a read should push the expiry forward"
    short = impl.create_session(redis, {"user": "bob"}, ttl=1)
    redis.pexpire(f"session:{short}", 50)
    time.sleep(0.1)
    assert impl.get_session(redis, short) is None


def test_shared_between_servers(impl, redis, redcore_factory):
    web1, web2 = redis, redcore_factory()
    sid = impl.create_session(web1, {"user": "ada"})
    assert impl.get_session(web2, sid) == {"user": "ada"}
    assert impl.destroy_session(web2, sid) is True
    assert impl.get_session(web1, sid) is None
