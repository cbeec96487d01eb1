"""Smoke tests of the client surface: types, errors, pipelines."""

import pytest


def test_set_get_roundtrip(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.get("missing") is None


def test_decode_responses(rd):
    rd.set("k", "v")
    assert rd.get("k") == "v"


def test_values_are_encoded_like_redis_py(r):
    r.set("i", 10)
    r.set("f", 1.5)
    r.set("b", b"\x00\xff")
    assert r.get("i") == b"10"
    assert r.get("f") == b"1.5"
    assert r.get("b") == b"\x00\xff"
    with pytest.raises(r.exc.DataError):
        r.set("x", True)
    with pytest.raises(r.exc.DataError):
        r.set("x", [1, 2])


def test_wrongtype_error(r):
    r.set("k", "v")
    with pytest.raises(r.exc.ResponseError) as e:
        r.lpush("k", "x")
    assert str(e.value) == "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_unknown_command(r):
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("NOSUCHCMD", "a", "b")
    assert str(e.value) == "unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' "


def test_wrong_arity(r):
    with pytest.raises(r.exc.ResponseError) as e:
        r.execute_command("GET")
    assert str(e.value) == "wrong number of arguments for 'get' command"


def test_pipeline_without_transaction(r):
    pipe = r.pipeline(transaction=False)
    assert pipe.set("a", 1).incr("a").get("a") is pipe
    assert pipe.execute() == [True, 2, b"2"]
    assert pipe.execute() == []


def test_pipeline_errors_are_raised_or_returned(r):
    r.set("s", "x")
    pipe = r.pipeline(transaction=False)
    pipe.set("a", 1).lpush("s", 1).get("a")
    with pytest.raises(r.exc.ResponseError) as e:
        pipe.execute()
    assert str(e.value).startswith("Command # 2 (LPUSH s 1) of pipeline caused error: WRONGTYPE")
    pipe.set("a", 1).lpush("s", 1).get("a")
    res = pipe.execute(raise_on_error=False)
    assert res[0] is True and res[2] == b"1"
    assert isinstance(res[1], r.exc.ResponseError)


def test_transaction_pipeline(r):
    with r.pipeline() as pipe:
        pipe.incr("n").incr("n")
        assert pipe.execute() == [1, 2]
