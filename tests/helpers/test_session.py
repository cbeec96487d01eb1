"""redcore.session.SessionStore on every backend (embedded, redcore ->
server, redis-py -> server)."""

from __future__ import annotations

import math
import pickle
import threading
import time
from datetime import timedelta

import pytest

from redcore.session import SessionStore, diff, new_session_id


@pytest.fixture
def store(make):
    return SessionStore(make(), ttl=60)


def test_ids_are_random_and_urlsafe():
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 43 and SessionStore.valid_id(i) for i in ids)


def test_create_get_roundtrip(store):
    data = {"user": "ada", "n": 3, "tags": ["x", "y"], "nested": {"a": None}, "ok": True}
    sid = store.create(data)
    assert store.get(sid) == data
    assert store.exists(sid)
    assert 59 < store.ttl(sid) <= 60


def test_empty_session_exists(store):
    sid = store.create()
    assert store.get(sid) == {}
    assert store.exists(sid)
    assert store.client.exists(store.key(sid)) == 1


def test_unknown_and_malformed_ids(store):
    for sid in [new_session_id(), "short", "a" * 300, "../../etc", "x*y?[z]" * 3, ""]:
        assert store.get(sid) is None
        assert not store.exists(sid)
        assert store.ttl(sid) is None
        assert store.update(sid, a=1) is False
        assert store.replace(sid, {"a": 1}) is False
        assert store.touch(sid) is False
        assert store.delete(sid) is False
        assert store.rotate(sid) is None
    assert store.client.keys("*") == []


def test_update_merges_and_leaves_other_fields(store):
    sid = store.create({"a": 1, "b": 2})
    assert store.update(sid, {"b": 20}, c=30) is True
    assert store.get(sid) == {"a": 1, "b": 20, "c": 30}
    assert store.discard(sid, "a", "missing") is True
    assert store.get(sid) == {"b": 20, "c": 30}


def test_update_of_deleted_session_leaves_nothing(store):
    sid = store.create({"a": 1})
    store.delete(sid)
    assert store.update(sid, b=2) is False
    assert store.get(sid) is None
    assert store.client.exists(store.key(sid)) == 0


def test_reserved_and_non_str_keys_rejected(store):
    sid = store.create()
    with pytest.raises(ValueError):
        store.update(sid, {"\x00redcore": 1})
    with pytest.raises(TypeError):
        store.create({1: "x"})


def test_replace(store):
    sid = store.create({"a": 1, "b": 2})
    assert store.replace(sid, {"c": 3}) is True
    assert store.get(sid) == {"c": 3}
    assert store.replace(sid, {}) is True
    assert store.get(sid) == {} and store.exists(sid)


def test_delete(store):
    sid = store.create({"a": 1})
    assert store.delete(sid) is True
    assert store.get(sid) is None and not store.exists(sid)
    assert store.delete(sid) is False


def test_rotate_moves_data_and_kills_old_id(store):
    sid = store.create({"cart": [1, 2]})
    new = store.rotate(sid)
    assert new != sid and len(new) == 43
    assert store.get(sid) is None
    assert store.client.exists(store.key(sid)) == 0
    assert store.get(new) == {"cart": [1, 2]}
    assert 59 < store.ttl(new) <= 60
    assert store.rotate(sid) is None


def test_rotate_same_session_twice_concurrently_one_wins(make):
    stores = [SessionStore(make(), ttl=60) for _ in range(4)]
    sid = stores[0].create({"u": 1})
    results = []
    barrier = threading.Barrier(len(stores), timeout=30)

    def work(s):
        barrier.wait()
        results.append(s.rotate(sid))

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    # The losers cleaned up their copies: exactly one session remains.
    assert stores[0].client.keys("session:*") == [stores[0].key(winners[0]).encode()]
    assert stores[0].get(winners[0]) == {"u": 1}


def test_rotate_keeps_updates_made_while_rotating(make):
    store = SessionStore(make(), ttl=60)
    writer = SessionStore(make(), ttl=60)
    sid = store.create({"n": 0})
    stop = threading.Event()
    written = []

    def keep_updating():
        i = 0
        while not stop.is_set():
            i += 1
            if not writer.update(sid, {f"f{i}": i}):
                return
            written.append(i)

    t = threading.Thread(target=keep_updating)
    t.start()
    time.sleep(0.02)
    new = store.rotate(sid)
    stop.set()
    t.join()
    data = store.get(new)
    # Every update acknowledged before the old id died is in the new session.
    assert all(data[f"f{i}"] == i for i in written)


def test_sliding_expiry_extends_on_read(make):
    store = SessionStore(make(), ttl=0.3)
    sid = store.create({"a": 1})
    for _ in range(3):
        time.sleep(0.15)
        assert store.get(sid) == {"a": 1}
    time.sleep(0.35)
    assert store.get(sid) is None
    assert store.client.exists(store.key(sid)) == 0


def test_absolute_expiry_without_sliding(make):
    store = SessionStore(make(), ttl=timedelta(milliseconds=300), sliding=False)
    sid = store.create({"a": 1})
    time.sleep(0.15)
    assert store.get(sid) == {"a": 1}
    assert store.update(sid, b=2)
    assert store.ttl(sid) < 0.2  # neither the read nor the update extended it
    time.sleep(0.2)
    assert store.get(sid) is None


def test_touch_and_ttl_override(store):
    sid = store.create({"a": 1}, ttl=5)
    assert 4 < store.ttl(sid) <= 5
    assert store.touch(sid) is True
    assert 59 < store.ttl(sid) <= 60
    assert store.touch(sid, ttl=None) is True
    assert store.ttl(sid) == math.inf
    assert store.touch(sid, ttl=timedelta(seconds=7)) is True
    assert 6 < store.ttl(sid) <= 7


def test_no_ttl_store(make):
    store = SessionStore(make(), ttl=None)
    sid = store.create({"a": 1})
    assert store.ttl(sid) == math.inf
    assert store.get(sid) == {"a": 1}
    assert store.ttl(sid) == math.inf


def test_bad_ttl(make):
    with pytest.raises(ValueError):
        SessionStore(make(), ttl=0)
    with pytest.raises(ValueError):
        SessionStore(make(), ttl=-1)


def test_custom_serializer_and_prefix(make):
    store = SessionStore(make(), prefix="app:{s}:", serializer=pickle)
    sid = store.create({"when": timedelta(days=2), "raw": b"\x00\xff"})
    assert store.get(sid) == {"when": timedelta(days=2), "raw": b"\x00\xff"}
    assert store.client.exists(f"app:{{s}}:{sid}") == 1


def test_decode_responses_client(make):
    store = SessionStore(make(decode_responses=True))
    sid = store.create({"a": "é"})
    assert store.update(sid, b=[1])
    assert store.get(sid) == {"a": "é", "b": [1]}
    new = store.rotate(sid)
    assert store.get(new) == {"a": "é", "b": [1]}
    assert store.replace(new, {"c": 1}) and store.get(new) == {"c": 1}


def test_hash_layout_is_one_field_per_key(store):
    sid = store.create({"a": 1, "b": "x"})
    raw = store.client.hgetall(store.key(sid))
    assert raw[b"a"] == b"1" and raw[b"b"] == b'"x"'
    assert set(raw) == {b"a", b"b", SessionStore.MARKER.encode()}


def test_a_session_updated_from_two_threads_loses_no_field(make):
    stores = [SessionStore(make(), ttl=60) for _ in range(2)]
    sid = stores[0].create({"start": True})
    rounds = 150
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def work(idx):
        try:
            barrier.wait()
            for i in range(rounds):
                assert stores[idx].update(sid, {f"t{idx}-{i}": i})
                # Reads interleave too, as in a web app.
                stores[idx].get(sid)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    data = stores[0].get(sid)
    assert len(data) == 1 + 2 * rounds
    assert all(data[f"t{idx}-{i}"] == i for idx in range(2) for i in range(rounds))


def test_concurrent_replace_and_update_stay_consistent(make):
    a, b = SessionStore(make()), SessionStore(make())
    sid = a.create({"x": 0})
    barrier = threading.Barrier(2, timeout=30)

    def replacer():
        barrier.wait()
        for i in range(50):
            assert a.replace(sid, {"x": i, "y": i})

    def updater():
        barrier.wait()
        for i in range(50):
            assert b.update(sid, z=i)

    threads = [threading.Thread(target=replacer), threading.Thread(target=updater)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = a.get(sid)
    assert data["x"] == 49 and data["y"] == 49
    assert set(data) <= {"x", "y", "z"}


def test_errors_propagate(make, backend):
    client = make()
    store = SessionStore(client)
    client.set("session:" + "k" * 43, "not a hash")
    with pytest.raises(client.exc.ResponseError):
        store.get("k" * 43)


def test_create_as(store):
    sid = "d" * 32
    assert store.create_as(sid, {"a": 1}) is True
    assert store.create_as(sid, {"a": 2}) is False
    assert store.get(sid) == {"a": 1}
    with pytest.raises(ValueError):
        store.create_as("bad id!", {})


def test_diff():
    assert diff({"a": b"1"}, {"a": "1"}) == ({}, [])
    assert diff({"a": b"1", "b": b"2"}, {"a": "2"}) == ({"a": "2"}, ["b"])


def test_unreachable_server_raises_instead_of_falling_back():
    import socket

    import redcore
    from redcore.backoff import NoBackoff
    from redcore.retry import Retry

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = SessionStore(redcore.Redis(port=port, retry=Retry(NoBackoff(), 0)))
    for call in (lambda: store.get("a" * 43), lambda: store.create({"a": 1}), lambda: store.update("a" * 43, b=1)):
        with pytest.raises(redcore.ConnectionError):
            call()
