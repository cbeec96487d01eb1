"""redcore passes as redis-py by type and object model.

With redis-py installed, redcore's clients, pipelines, pub/sub objects,
pools, locks and errors are also redis-py's classes (``isinstance`` and
``except redis.exceptions.X`` hold), while nothing of redis-py runs on them:
redis-py's extra attributes are shadowed so a redcore object behaves as it
does without redis-py (checked in a subprocess where redis-py cannot be
imported). Also the object model redis-py code touches: ``bool(client)``,
``connection_pool`` (an in-process pool for the embedded engine),
``client()``, ``get_encoder()``, ``set_retry()``, clients rebuilt from
``connection_kwargs``, ``single_connection_client`` and
``auto_close_connection_pool``.

Each test runs on the embedded engine and on the remote client (against the
session's redis-server) where both apply.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import uuid
from typing import Any, Iterator, List

import pytest
import redis
import redis.client
import redis.connection
import redis.exceptions
import redis.lock

import redcore
import redcore._compat
import redcore.asyncio
import redcore.exceptions
from redcore import _redcore
from redcore.backoff import ConstantBackoff, NoBackoff
from redcore.commands import CoreCommands
from redcore.connection import EmbeddedConnectionPool, Encoder
from redcore.retry import Retry

from conftest import _free_port


@pytest.fixture(params=["embedded", "remote"])
def client(request: pytest.FixtureRequest, redis_server: Any) -> Iterator[redcore.Redis]:
    """A redcore client on an empty dataset: a private embedded engine, or
    the session's redis-server."""
    if request.param == "embedded":
        c = redcore.Redis()
    else:
        redis_server.client().flushall()
        c = redcore.Redis(port=redis_server.port, protocol=2)
    yield c
    c.close()


# -- isinstance ----------------------------------------------------------------------


def test_clients_are_redis_py_instances(client: redcore.Redis) -> None:
    assert isinstance(client, redis.Redis)
    assert isinstance(client, redis.StrictRedis)
    assert isinstance(client.pipeline(), redis.client.Pipeline)
    assert isinstance(client.pubsub(), redis.client.PubSub)
    assert isinstance(client.connection_pool, redis.ConnectionPool)
    assert isinstance(client.lock("name"), redis.lock.Lock)
    assert isinstance(client.client(), redis.Redis)
    assert isinstance(client.connection_pool.make_connection(), redis.connection.Connection)
    assert isinstance(client, redcore.Redis) and redcore.StrictRedis is redcore.Redis


def test_blocking_pool_is_redis_py_blocking_pool(redis_server: Any) -> None:
    pool = redcore.BlockingConnectionPool(port=redis_server.port, max_connections=2, timeout=1)
    assert isinstance(pool, redis.BlockingConnectionPool)
    assert isinstance(pool, redis.ConnectionPool)
    assert redcore.Redis(connection_pool=pool).ping() is True


# -- exceptions ----------------------------------------------------------------------


def test_every_exception_is_also_redis_pys_class() -> None:
    shared = [
        n
        for n in redcore.exceptions.__all__
        if isinstance(getattr(redis.exceptions, n, None), type) and issubclass(getattr(redis.exceptions, n), BaseException)
    ]
    assert len(shared) >= 30
    for name in shared:
        ours, theirs = getattr(redcore.exceptions, name), getattr(redis.exceptions, name)
        assert issubclass(ours, theirs), name
        # Still redcore's hierarchy too.
        if issubclass(theirs, redis.exceptions.RedisError):
            assert issubclass(ours, redcore.exceptions.RedisError), name


def test_exceptions_keep_redcores_repr_and_fields() -> None:
    e = redcore.exceptions.ResponseError("boom", status_code="ERR")
    assert repr(e) == "ResponseError('boom')" and str(e) == "boom" and e.status_code == "ERR"
    lock_error = redcore.exceptions.LockNotOwnedError("gone", lock_name="l")
    assert (lock_error.message, lock_error.lock_name) == ("gone", "l")
    assert isinstance(lock_error, ValueError)


def test_response_errors_caught_by_either_class(client: redcore.Redis) -> None:
    client.set("k", "v")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        client.lpush("k", "x")
    with pytest.raises(redcore.exceptions.ResponseError, match="WRONGTYPE"):
        client.lpush("k", "x")
    with pytest.raises(redis.exceptions.NoScriptError):
        client.evalsha("0" * 40, 0)
    with pytest.raises(redis.exceptions.DataError):
        client.set("k", True)


def test_watch_error_caught_by_redis_py_class(client: redcore.Redis) -> None:
    other = type(client)(connection_pool=client.connection_pool)
    with client.pipeline() as pipe:
        pipe.watch("w")
        other.set("w", 1)
        pipe.multi()
        pipe.set("w", 2)
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()


def test_lock_errors_caught_by_redis_py_class(client: redcore.Redis) -> None:
    lock = client.lock("res", timeout=10)
    with pytest.raises(redis.exceptions.LockError):
        lock.release()  # never acquired
    assert lock.acquire(blocking=False)
    client.delete("res")
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()


def test_connection_error_caught_by_redis_py_class() -> None:
    dead = redcore.Redis(port=_free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.exceptions.ConnectionError):
        dead.ping()


# -- nothing of redis-py runs on redcore objects -----------------------------------------


def _foreign_only_names(cls: type) -> List[str]:
    """Public names redis-py's classes in ``cls``'s MRO define and redcore's
    own classes do not."""
    foreign = redcore._compat.foreign_classes(cls)
    own = [k for k in cls.__mro__ if k not in foreign]
    names = {n for k in foreign for n in vars(k) if not n.startswith("_")}
    return sorted(n for n in names if not any(n in vars(k) and not isinstance(vars(k)[n], redcore._compat._Absent) for k in own))


@pytest.mark.parametrize("make", [
    lambda c: c, lambda c: c.pipeline(), lambda c: c.pubsub(), lambda c: c.connection_pool, lambda c: c.lock("l"),
    lambda c: c.connection_pool.make_connection(),
], ids=["Redis", "Pipeline", "PubSub", "ConnectionPool", "Lock", "Connection"])
def test_redis_py_only_attributes_are_absent(client: redcore.Redis, make: Any) -> None:
    obj = make(client)
    names = _foreign_only_names(type(obj))
    for name in names:
        assert not hasattr(type(obj), name), name
        if name in vars(obj):
            continue  # redcore's own instance attribute (Pipeline.client...)
        assert not hasattr(obj, name), name
        with pytest.raises(AttributeError, match=name):
            getattr(obj, name)


@pytest.mark.parametrize("cls", [
    redcore.Redis, redcore.Pipeline, redcore.PubSub, redcore.ConnectionPool, redcore.BlockingConnectionPool,
    EmbeddedConnectionPool, redcore.Lock, redcore.Connection, redcore.exceptions.ResponseError,
])
def test_no_attribute_resolves_to_redis_py(cls: type) -> None:
    # Every name, dunders included (__init__, __del__, __repr__, __eq__,
    # __enter__...), resolves to redcore's code, to a built-in class's, or
    # to the shadow that raises AttributeError: never to redis-py's code.
    foreign = redcore._compat.foreign_classes(cls)
    assert foreign
    for name in {n for k in cls.__mro__ for n in vars(k)} - redcore._compat._MACHINERY:
        owner = next(k for k in cls.__mro__ if name in vars(k))
        assert owner not in foreign, (name, owner)


def test_some_redis_py_commands_are_shadowed() -> None:
    # Commands redcore does not have must not fall through to redis-py code
    # (which would fail on a missing redis-py __init__ state).
    names = _foreign_only_names(redcore.Redis)
    assert names, "redis-py defines no name redcore lacks"
    for name in names:
        assert not hasattr(redcore.Redis, name)


def test_redcore_methods_win_over_redis_pys(client: redcore.Redis) -> None:
    for name in ("get", "set", "pipeline", "pubsub", "lock", "execute_command", "close", "from_url", "__init__", "__repr__", "__enter__", "__exit__"):
        owner = next(k for k in type(client).__mro__ if name in vars(k))
        assert owner.__module__.startswith("redcore"), (name, owner)
    assert "EmbeddedConnectionPool" in repr(client) or "ConnectionPool" in repr(client)
    assert client == client and client != type(client)(connection_pool=client.connection_pool)
    assert isinstance(hash(client), int)


def test_shadowing_is_computed_from_the_class() -> None:
    # A method added to redcore's own classes (as other features add them)
    # wins over redis-py's at once; the rest of redis-py's stay absent.
    class Commands:
        def acl_whoami(self) -> str:
            return "added"

    class Client(_redcore.Client, Commands, CoreCommands, redis.Redis):
        pass

    redcore._compat.adopt(Client)
    c = Client()
    assert c.acl_whoami() == "added"
    assert not hasattr(c, "arcount")
    assert redcore._compat.adopt(Client) is Client  # idempotent
    assert c.acl_whoami() == "added" and not hasattr(c, "arlen")


def test_no_redis_py_finalizer_runs(client: redcore.Redis) -> None:
    seen: List[Any] = []
    old = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        objs = [type(client)(connection_pool=client.connection_pool), client.pipeline(), client.pubsub(), client.lock("l")]
        objs.append(EmbeddedConnectionPool() if client.connection_pool.connection_kwargs.get("name") else type(client.connection_pool)(port=client.connection_pool.connection_kwargs["port"]))
        objs.append(client.connection_pool.get_connection())
        for obj in objs:
            finalizer = getattr(type(obj), "__del__", None)
            assert finalizer is None or finalizer.__module__.startswith("redcore"), type(obj)
        del objs, obj
        gc.collect()
    finally:
        sys.unraisablehook = old
    assert seen == []


def test_context_managers(client: redcore.Redis) -> None:
    with type(client)(connection_pool=client.connection_pool) as c:
        assert c.set("k", 1) is True
    with client.connection_pool as pool:
        assert pool is client.connection_pool
    assert client.get("k") == b"1"


def test_item_access(client: redcore.Redis) -> None:
    client["k"] = "v"
    assert client["k"] == b"v" and "k" in client and "nope" not in client
    del client["k"]
    with pytest.raises(KeyError):
        client["k"]


# -- bool and len --------------------------------------------------------------------------


def test_client_is_true_and_has_no_length(client: redcore.Redis) -> None:
    assert client.dbsize() == 0
    assert bool(client) is True
    with pytest.raises(TypeError):
        len(client)


def test_pipeline_length_counts_queued_commands(client: redcore.Redis) -> None:
    pipe = client.pipeline()
    assert len(pipe) == 0 and bool(pipe) is True
    pipe.set("a", 1).incr("a")
    assert len(pipe) == 2
    assert pipe.execute() == [True, 2]
    assert len(pipe) == 0


# -- connection_pool ------------------------------------------------------------------------


def test_embedded_pool_names_the_engine() -> None:
    r = redcore.Redis(db=2, decode_responses=True)
    pool = r.connection_pool
    assert isinstance(pool, EmbeddedConnectionPool)
    kw = pool.connection_kwargs
    assert kw["db"] == 2 and kw["decode_responses"] is True and kw["encoding"] == "utf-8"
    assert kw["name"] == pool.name
    assert r.get_connection_kwargs() is kw
    kw["socket_timeout"] = 30  # rq's worker sets it; it means nothing in-process
    r.set("k", "v")
    again = redcore.Redis(**kw)
    assert again.get("k") == "v" and again.connection_pool.name == pool.name
    assert EmbeddedConnectionPool(**kw).connection_kwargs == kw
    with pytest.raises(TypeError, match="host"):
        EmbeddedConnectionPool(host="localhost")
    named = redcore.Redis(name="compat-named")
    assert named.connection_pool.connection_kwargs["name"] == "compat-named"
    assert redcore.Redis.from_url("memory://compat-named/3").connection_pool.connection_kwargs["db"] == 3
    assert isinstance(redcore.ConnectionPool.from_url("memory://compat-named"), EmbeddedConnectionPool)


def test_connection_kwargs_have_a_host_naming_the_engine_or_server(client: redcore.Redis) -> None:
    # redis-py's TCP pools always carry host and port, and libraries key on
    # them (pottery groups containers by host, port and db): each engine
    # has a host of its own, its memory:// URL, which reaches it again.
    kw = client.connection_pool.connection_kwargs
    other = type(client)() if "name" in kw else type(client)(port=kw["port"], db=1)
    assert isinstance(kw["host"], str) and kw["host"]
    key = (kw["host"], kw.get("port", 6379), kw.get("db", 0))
    other_kw = other.connection_pool.connection_kwargs
    assert (other_kw["host"], other_kw.get("port", 6379), other_kw.get("db", 0)) != key
    client.set("k", "v")
    assert type(client)(host=kw["host"], port=kw.get("port")).get("k") == b"v"
    assert type(client)(**kw).get("k") == b"v"
    if "name" in kw:  # embedded: the host is the engine's URL
        assert kw["host"].startswith("memory://")
        assert type(client).from_url(kw["host"]).get("k") == b"v"
        assert EmbeddedConnectionPool(host=kw["host"]).name == kw["name"]
        with pytest.raises(TypeError, match="another engine"):
            EmbeddedConnectionPool(host=kw["host"], name="elsewhere")
        named = redcore.Redis(name="compat/host name")
        assert named.connection_pool.connection_kwargs["host"] == "memory://compat%2Fhost%20name"
        named.set("n", 1)
        assert redcore.Redis(host="memory://compat%2Fhost%20name").get("n") == b"1"
        assert redcore.asyncio.Redis(host=named.connection_pool.connection_kwargs["host"]).connection_pool.name == "compat/host name"


@pytest.mark.parametrize("where", ["embedded", "remote"])
def test_from_url_the_url_wins_over_keywords(where: str, redis_server: Any) -> None:
    """redis-py's from_url rule, for memory:// URLs too: what the URL gives
    (database, decode_responses) wins over the keyword arguments, which fill
    in the rest (Django's RedisCache passes its OPTIONS to
    ``pool_class.from_url(LOCATION, **OPTIONS)``)."""
    engine = f"compat-url-{uuid.uuid4().hex}"
    base = f"memory://{engine}" if where == "embedded" else f"redis://127.0.0.1:{redis_server.port}"
    if where == "remote":
        redis_server.client().flushall()
    url = f"{base}/1?decode_responses=true"

    def pool_client(u: str, **kw: Any) -> redcore.Redis:
        return redcore.Redis(connection_pool=redcore.ConnectionPool.from_url(u, **kw))

    try:
        for make in (redcore.Redis.from_url, pool_client):
            r = make(url, db=2, decode_responses=False)
            assert r.connection_pool.connection_kwargs["db"] == 1
            r.set("k", "v")
            assert r.get("k") == "v" and make(f"{base}/2").exists("k") == 0
            assert make(base, db=2).connection_pool.connection_kwargs["db"] == 2
        for pool in (redcore.asyncio.ConnectionPool.from_url(url, db=2), redcore.asyncio.Redis.from_url(url, db=2).connection_pool):
            assert pool.connection_kwargs["db"] == 1
        if where == "remote":  # the rule's source
            assert redis.Redis.from_url(url, db=2, decode_responses=False).get("k") == "v"
    finally:
        _redcore.forget_engine(engine)


def test_remote_pool_has_connection_kwargs(redis_server: Any) -> None:
    r = redcore.Redis(port=redis_server.port, db=1)
    kw = r.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"]) == ("localhost", redis_server.port, 1)


def test_connections_from_the_pool(client: redcore.Redis) -> None:
    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_command("SET", "k", "v")
        assert conn.read_response() == b"OK"
        conn.send_command("LPUSH", "k", "x")
        with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
            conn.read_response()
        # A connection keeps its state between commands: a transaction.
        conn.send_packed_command(conn.pack_commands([("MULTI",), ("INCR", "n"), ("INCR", "n"), ("EXEC",)]))
        assert [conn.read_response() for _ in range(4)] == [b"OK", b"QUEUED", b"QUEUED", [1, 2]]
        assert not conn.can_read()
        assert pool.owns_connection(conn)
    finally:
        pool.release(conn)
    assert pool.get_connection() is conn  # reused after release
    pool.release(conn)
    pool.disconnect()
    assert not conn.is_connected
    assert client.get("n") == b"2"  # the data stays


def test_redis_py_client_runs_on_a_redcore_pool(client: redcore.Redis) -> None:
    # Code that builds redis.Redis(connection_pool=pool) itself (the limits
    # package does) works on redcore's pools.
    rp = redis.Redis(connection_pool=client.connection_pool)
    assert rp.set("k", 1) is True and rp.incr("k") == 2
    assert client.get("k") == b"2"
    with rp.pipeline() as pipe:
        assert pipe.set("a", "x").get("a").execute() == [True, b"x"]
    script = rp.register_script("return redis.call('GET', KEYS[1])")
    assert script(keys=["k"]) == b"2"
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        rp.lpush("k", "x")


# -- clients rebuilt from the pool ------------------------------------------------------------


def test_client_method(client: redcore.Redis) -> None:
    one = client.client()
    assert type(one) is type(client) and one.connection_pool is client.connection_pool
    one.set("k", "v")
    assert client.get("k") == b"v"


def test_rebuilt_from_connection_kwargs_shares_data(client: redcore.Redis) -> None:
    client.set("k", "v")
    kwargs = dict(client.connection_pool.connection_kwargs)
    assert type(client)(**kwargs).get("k") == b"v"
    assert redcore.Redis(connection_pool=client.connection_pool).get("k") == b"v"
    # rq's scheduler: its client class over redis-py's ConnectionPool with
    # the pool class and kwargs it read from the connection.
    foreign = redis.ConnectionPool(connection_class=client.connection_pool.connection_class, **kwargs)
    assert type(client)(connection_pool=foreign).get("k") == b"v"


def test_pool_of_a_redis_py_client(redis_server: Any) -> None:
    """The pool a redis-py client made (redis-py 8 leaves its own unset
    marker in ``connection_kwargs``) serves a redcore client."""
    redis_server.client().set("k", "v")
    theirs = redis.Redis(port=redis_server.port, db=0)
    assert redcore.Redis(connection_pool=theirs.connection_pool).get("k") == b"v"
    assert redcore.StrictRedis(connection_pool=redis.Redis(port=redis_server.port, db=1).connection_pool).get("k") is None


def test_private_engines_stay_private() -> None:
    a, b = redcore.Redis(), redcore.Redis()
    a.set("k", 1)
    assert b.get("k") is None
    assert a.connection_pool.name != b.connection_pool.name


def test_private_engine_name_is_dropped_with_its_last_pool() -> None:
    r = redcore.Redis()
    r.set("k", 1)
    kwargs = dict(r.connection_pool.connection_kwargs)
    rebuilt = redcore.Redis(**kwargs)
    del r
    gc.collect()
    assert rebuilt.get("k") == b"1"  # a pool on the engine is still alive
    del rebuilt
    gc.collect()
    assert kwargs["name"] not in redcore.connection._PRIVATE
    assert _redcore.forget_engine(kwargs["name"]) is False  # already dropped


def test_db_and_decoding_follow_the_pool() -> None:
    r = redcore.Redis(name="compat-db", db=3, decode_responses=True)
    r.set("k", "v")
    again = redcore.Redis(**r.connection_pool.connection_kwargs)
    assert again.get("k") == "v"
    assert redcore.Redis(name="compat-db").get("k") is None  # db 0


# -- encoder, retry, single connection, auto close ------------------------------------------------


def test_get_encoder(client: redcore.Redis) -> None:
    enc = client.get_encoder()
    assert isinstance(enc, Encoder)
    assert enc.encode("é") == "é".encode() and enc.encode(1) == b"1" and enc.encode(1.5) == b"1.5"
    assert enc.encode(b"x") == b"x" and enc.decode(b"x") == b"x" and enc.decode(b"x", force=True) == "x"
    with pytest.raises(redis.exceptions.DataError):
        enc.encode(True)
    decoding = type(client)(**{**client.connection_pool.connection_kwargs, "decode_responses": True})
    assert decoding.get_encoder().decode(b"x") == "x"


def test_set_retry_reaches_clients_already_built() -> None:
    pool = redcore.ConnectionPool(port=_free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    built = redcore.Redis(connection_pool=pool)
    computed: List[int] = []

    class Counting(ConstantBackoff):
        def compute(self, failures: int) -> float:
            computed.append(failures)
            return 0.0

    built.set_retry(Retry(Counting(0), 3))
    assert built.get_retry().get_retries() == 3 and pool.get_retry().get_retries() == 3
    with pytest.raises(redis.exceptions.ConnectionError):
        built.ping()
    assert computed == [1, 2, 3]


def test_set_retry_on_embedded_is_kept() -> None:
    r = redcore.Redis()
    retry = Retry(NoBackoff(), 2)
    r.set_retry(retry)
    assert r.get_retry() is retry and r.ping() is True


def test_single_connection_client(client: redcore.Redis) -> None:
    one = type(client)(connection_pool=client.connection_pool, single_connection_client=True)
    assert bool(one) and one.set("k", 1) and client.get("k") == b"1"
    # The connection's state lasts between calls, as on a socket.
    assert one.execute_command("MULTI") == b"OK"
    assert one.execute_command("INCR", "n") == b"QUEUED"
    assert one.execute_command("EXEC") == [1]
    assert one.execute_command("SELECT", 1) is True and one.get("k") is None
    assert one.client().get("k") == b"1"  # a new client starts on the pool's db
    assert one.hgetall("nothing") == {} and one.blpop("nothing", 0.05) is None
    if client._is_remote:
        assert one.client_id() == one.client_id()


def test_auto_close_connection_pool(redis_server: Any) -> None:
    own = redcore.Redis(port=redis_server.port)
    assert own.auto_close_connection_pool is True
    own.ping()
    own.close()
    assert own.connection_pool.get_connection_count() == 0
    pool = redcore.ConnectionPool(port=redis_server.port)
    shared = redcore.Redis(connection_pool=pool)
    assert shared.auto_close_connection_pool is False
    shared.ping()
    shared.close()
    assert pool.get_connection_count() == 1  # the pool is the caller's
    assert redcore.Redis.from_pool(pool).auto_close_connection_pool is True
    embedded = redcore.Redis()
    assert embedded.auto_close_connection_pool is True
    embedded.set("k", 1)
    embedded.close()
    assert embedded.get("k") == b"1"  # closing an embedded client keeps its data


# -- without redis-py -----------------------------------------------------------------------------


def test_works_without_redis_py() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["redis"] = None  # redis-py cannot be imported
        import redcore
        assert "redis.client" not in sys.modules
        r = redcore.Redis(decode_responses=True)
        assert bool(r) and r.set("k", "v") and r.get("k") == "v"
        assert [c.__module__.split(".")[0] for c in type(r).__mro__] == ["redcore"] * (len(type(r).__mro__) - 1) + ["builtins"]
        assert r.pipeline().set("a", 1).incr("a").execute() == [True, 2]
        try:
            r.lpush("k", "x")
        except redcore.ResponseError as e:
            assert type(e).__mro__[1:] == (redcore.RedisError, Exception, BaseException, object)
        else:
            raise AssertionError("no error")
        p = r.pubsub()
        p.subscribe("c")
        assert p.get_message(timeout=1)["type"] == "subscribe"
        r.publish("c", "m")
        assert p.get_message(timeout=1)["data"] == "m"
        with r.lock("l", timeout=5) as lock:
            assert r.get("l") is not None
        assert not hasattr(r, "arcount")
        again = redcore.Redis(**r.connection_pool.connection_kwargs)
        assert again.get("k") == "v"
        conn = r.connection_pool.get_connection()
        conn.send_command("GET", "k")
        assert conn.read_response() == "v"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_dir_lists_what_works_not_the_stand_ins() -> None:
    """dir() (tab completion) shows redcore's methods, not the names that
    only redis-py has (those raise AttributeError)."""
    r = redcore.Redis()
    for obj in (redcore.Redis, r, r.pipeline()):
        names = set(dir(obj))
        assert "set" in names and "pipeline" in names or "execute" in names
        for name in names:
            assert hasattr(obj, name), name
