"""redcore's ``Redis`` has every public method of redis-py 8.1's
``redis.Redis``, except the ones listed below with their reason.

"Has" means defined by redcore's own classes: found in redcore's MRO before
any redis-py class, and not one of the stand-ins ``redcore._compat.adopt``
puts on the class for what redcore lacks (those raise ``AttributeError``).
redcore adds redis-py's classes as its last bases when redis-py is
installed, so ``hasattr`` alone would not tell.

The reasons are checked too: a command said to be newer than Redis 7.0, or
to belong to a module, must be unknown to the local redis-server 7.0.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import redis

import redcore
from redcore._compat import _Absent, foreign_classes

# -- Commands newer than Redis 7.0 (redcore's spec is Redis 7.0) ------------
# name -> (the command, unknown to Redis 7.0; why). Versions are from
# redis-py's docstrings and redis.io's command pages.
_ARRAY = "Redis arrays (AR* commands), a data type of Redis 8.8"
_HIMPORT = "HIMPORT (hash bulk import), newer than 7.0; redis-py marks it experimental"
POST_7_0: Dict[str, Tuple[str, str]] = {
    **{name: (name.upper(), _ARRAY) for name in (
        "arcount", "ardel", "ardelrange", "arget", "argetrange", "argrep", "arinfo", "arinsert",
        "arlastitems", "arlen", "armget", "armset", "arnext", "arop", "arring", "arscan", "arseek",
        "arset",
    )},
    "hotkeys_get": ("HOTKEYS", "hot-key tracking, Redis 8.6"),
    "hotkeys_reset": ("HOTKEYS", "hot-key tracking, Redis 8.6"),
    "hotkeys_start": ("HOTKEYS", "hot-key tracking, Redis 8.6"),
    "hotkeys_stop": ("HOTKEYS", "hot-key tracking, Redis 8.6"),
    "xcfgset": ("XCFGSET", "per-stream settings, newer than 7.0"),
    "xnack": ("XNACK", "negative acknowledgement of stream entries, newer than 7.0"),
    "himport_set": ("HIMPORT", _HIMPORT),
    "himport_prepare": ("HIMPORT", _HIMPORT),
    "himport_discard": ("HIMPORT", _HIMPORT),
    "himport_discard_all": ("HIMPORT", _HIMPORT),
    "himport_prepare_internal": ("HIMPORT", _HIMPORT + " (redis-py's internal step)"),
    "himport_discard_internal": ("HIMPORT", _HIMPORT + " (redis-py's internal step)"),
    "himport_discard_all_internal": ("HIMPORT", _HIMPORT + " (redis-py's internal step)"),
    "himport_registry": ("HIMPORT", _HIMPORT + " (the client's registry of fieldsets)"),
}

# -- Module command namespaces (r.json(), r.ft()...): not Redis 7.0 core ----
# name -> (one of its commands, unknown to a Redis 7.0 without modules; module)
MODULES: Dict[str, Tuple[str, str]] = {
    "json": ("JSON.GET", "RedisJSON"),
    "ft": ("FT.SEARCH", "RediSearch (Redis Query Engine)"),
    "ts": ("TS.ADD", "RedisTimeSeries"),
    "bf": ("BF.ADD", "RedisBloom: Bloom filter"),
    "cf": ("CF.ADD", "RedisBloom: Cuckoo filter"),
    "cms": ("CMS.INITBYDIM", "RedisBloom: Count-min sketch"),
    "topk": ("TOPK.ADD", "RedisBloom: Top-K"),
    "tdigest": ("TDIGEST.CREATE", "RedisBloom: t-digest"),
    "vset": ("VADD", "Vector sets, a module shipped with Redis 8.0"),
}


EXCLUDED = set(POST_7_0) | set(MODULES)


def redis_py_public_names() -> set:
    return {n for n in dir(redis.Redis) if not n.startswith("_")}


def own_definition(cls: type, name: str) -> Optional[type]:
    """The redcore class that defines ``name`` for ``cls``, or None when
    the name resolves to a redis-py class, or to a stand-in for a missing
    one, or nowhere."""
    foreign = set(foreign_classes(cls))
    owner = next((k for k in cls.__mro__ if name in vars(k)), None)
    if owner is None or owner in foreign or isinstance(vars(owner)[name], _Absent):
        return None
    return owner


def test_every_public_method_of_redis_py_is_redcores_own() -> None:
    missing = sorted(n for n in redis_py_public_names() - EXCLUDED if own_definition(redcore.Redis, n) is None)
    assert missing == [], "redis-py methods redcore.Redis lacks (add them, or list them with a reason)"


def test_exclusions_are_current() -> None:
    """Every excluded name is a redis-py name, and the post-7.0 and module
    ones are really missing (drop an entry once redcore has it)."""
    names = redis_py_public_names()
    assert sorted(EXCLUDED - names) == []
    implemented = sorted(n for n in set(POST_7_0) | set(MODULES) if own_definition(redcore.Redis, n))
    assert implemented == []
    assert not (set(POST_7_0) & set(MODULES))


def test_excluded_commands_are_unknown_to_redis_7_0(redis_server: Any) -> None:
    """The reason holds: the local redis-server (7.0, no modules) does not
    know the command."""
    client = redis_server.client()
    client.set_response_callback("COMMAND", lambda response, **options: response)  # the raw reply
    assert client.info("server")["redis_version"].startswith("7.0.")
    commands = sorted({cmd for cmd, _ in POST_7_0.values()} | {cmd for cmd, _ in MODULES.values()})
    known = client.execute_command("COMMAND", "INFO", *commands)
    assert [c for c, info in zip(commands, known) if info is not None] == []
    # ...while the test itself would see a known one.
    assert client.execute_command("COMMAND", "INFO", "LMOVE")[0] is not None


def test_redcore_names_are_real_methods() -> None:
    """Names redcore defines are usable: callable on an instance (or, for
    the few data attributes, present)."""
    r = redcore.Redis()
    for name in sorted(redis_py_public_names() - EXCLUDED):
        value = getattr(r, name)
        if callable(getattr(redis.Redis, name, None)):
            assert callable(value), name


def test_every_redis_py_constructor_argument_is_known() -> None:
    """Each argument of redis-py's ``Redis()`` is a parameter of
    redcore's, one it honours through ``**kwargs`` (``HONOURED_REDIS_ARGS``)
    or one it accepts and ignores (``IGNORED_REDIS_ARGS``, reasons in
    ``redcore/connection.py``); the two lists do not overlap."""
    import inspect

    from redcore.connection import HONOURED_REDIS_ARGS, IGNORED_REDIS_ARGS

    assert not HONOURED_REDIS_ARGS & IGNORED_REDIS_ARGS
    ours = set(inspect.signature(redcore.Redis.__new__).parameters)
    theirs = set(inspect.signature(redis.Redis.__init__).parameters) - {"self"}
    unknown = theirs - ours - HONOURED_REDIS_ARGS - IGNORED_REDIS_ARGS
    assert not unknown, sorted(unknown)
    # Honoured ones are not silently dropped: a bad value is refused.
    import pytest

    with pytest.raises(ValueError):
        redcore.Redis(host="localhost", port=1, ssl=True, ssl_min_version="SSLv3")


# -- The package's top level -------------------------------------------------


def _type_checking_imports() -> Dict[str, str]:
    """name -> submodule, from the ``if TYPE_CHECKING:`` imports of
    ``redcore/__init__.py`` (what type checkers see)."""
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(redcore.__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen: Dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names:
            seen[alias.asname or alias.name] = node.module or alias.name
    return seen


def test_every_export_resolves_from_its_module_as_type_checkers_see_it() -> None:
    seen = _type_checking_imports()
    modules = {"backoff", "exceptions", "retry"}
    assert set(seen) == set(redcore._EXPORTS) | modules
    assert set(redcore.__all__) == set(seen) | {"__version__"}
    for name in redcore.__all__:
        value = getattr(redcore, name)
        if name in modules:
            assert value.__name__ == f"redcore.{name}"
        elif name != "__version__":
            assert seen[name] == redcore._EXPORTS[name], name
            assert value is getattr(__import__(f"redcore.{seen[name]}", fromlist=[name]), name)
    # Everything redis-py exports at its top level that redcore also has is
    # reachable both ways, and star-imports see the whole list.
    star: Dict[str, Any] = {}
    exec("from redcore import *", star)
    assert set(redcore.__all__) <= set(star)
    assert set(redcore.__all__) <= set(dir(redcore))
    # A submodule is an attribute too, as after an eager import.
    assert redcore.lock.Lock is redcore.Lock and redcore.ratelimit.__name__ == "redcore.ratelimit"
    for missing in ("no_such_name", "__wrapped__"):
        assert not hasattr(redcore, missing)


def test_import_redcore_and_the_server_command_leave_redis_py_unloaded() -> None:
    """``import redcore`` is light, and ``python -m redcore serve`` never
    loads the client side or redis-py (the server's memory is the engine's);
    using a client loads them, and the compatibility holds."""
    import subprocess
    import sys

    script = r"""
import os, runpy, signal, sys, threading
import redcore
assert "redis" not in sys.modules and "redcore.client" not in sys.modules, sorted(sys.modules)
sys.argv = ["redcore", "serve", "--port", "0"]
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
try:
    runpy.run_module("redcore", run_name="__main__")
except SystemExit as e:
    assert e.code in (0, None), e.code
assert "redis" not in sys.modules, [m for m in sys.modules if m.startswith("redis")]
assert "redcore.client" not in sys.modules and "redcore.exceptions" not in sys.modules
r = redcore.Redis()
import redis
assert isinstance(r, redis.Redis) and issubclass(redcore.ResponseError, redis.exceptions.ResponseError)
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr


def test_typing_and_utils_modules_have_redis_pys_names() -> None:
    """``from redis.typing import KeyT`` and ``from redis.utils import
    str_if_bytes`` keep working with ``redcore`` in place of ``redis``."""
    import datetime
    import typing

    import redis.typing
    import redis.utils

    import redcore.typing
    import redcore.utils

    for name in redcore.typing.__all__:
        ours, theirs = getattr(redcore.typing, name), getattr(redis.typing, name)
        if isinstance(ours, typing.TypeVar):
            assert ours.__constraints__ == theirs.__constraints__, name
        elif name != "Subscription":
            assert typing.get_args(ours) == typing.get_args(theirs), name
    assert redcore.typing.Subscription is redcore.Subscription
    assert datetime.timedelta in typing.get_args(redcore.typing.ExpiryT)
    for value in (b"caf\xc3\xa9", b"\xff", "text", 3):
        assert redcore.utils.str_if_bytes(value) == redis.utils.str_if_bytes(value)  # type: ignore[arg-type]
        assert redcore.utils.safe_str(value) == redis.utils.safe_str(value)
    assert redcore.utils.dict_merge({"a": 1}, {"a": 2, "b": 3}) == {"a": 2, "b": 3}
    assert redcore.utils.list_keys_to_dict(["GET", "SET"], str) == {"GET": str, "SET": str}
    assert sorted(redcore.utils.merge_result("KEYS", {"n1": [b"a", b"b"], "n2": [b"b", b"c"]})) == [b"a", b"b", b"c"]
    assert redcore.utils.get_lib_version() == redcore.__version__
    r = redcore.utils.from_url("memory://utils-test")
    with redcore.utils.pipeline(r) as p:
        p.set("k", "v")
        p.incr("n")
    assert r.get("k") == b"v" and r.get("n") == b"1"


def test_crc_key_slot_matches_redis_pys() -> None:
    import random

    import redis.crc

    import redcore.crc

    rng = random.Random(7)
    keys = [b"", b"{}", b"{}x", b"a{b}c", b"{user:1}:name", b"x{{y}}z", b"}{a}", b"{a", "ünï".encode()]
    keys += [bytes(rng.choice(b"ab{}:") for _ in range(rng.randint(0, 8))) for _ in range(2000)]
    for key in keys:
        for bucket in (16384, 1024, 7):
            assert redcore.crc.key_slot(key, bucket) == redis.crc.key_slot(key, bucket), (key, bucket)
    assert redcore.crc.key_slot(memoryview(b"{user:1}:mail")) == redis.crc.key_slot(b"{user:1}:mail")


# What code imports from redis-py's submodules (type hints, isinstance
# checks, except clauses), as redis-py's own notebooks do with
# ``redis.client.PubSub``: the same names in redcore's submodules.
SUBMODULE_NAMES = {
    "client": ["Redis", "StrictRedis", "Pipeline", "PubSub", "PubSubWorkerThread", "Monitor", "Lock", "Script"],
    "asyncio.client": ["Redis", "StrictRedis", "Pipeline", "PubSub", "Monitor", "Lock"],
    "asyncio.lock": ["Lock", "LockError", "LockNotOwnedError"],
    "lock": ["Lock", "LockError", "LockNotOwnedError"],
}


def test_names_imported_from_redis_py_submodules_exist_in_redcore() -> None:
    import importlib
    import inspect

    import redis.exceptions

    for module, names in SUBMODULE_NAMES.items():
        ours = importlib.import_module(f"redcore.{module}")
        theirs = importlib.import_module(f"redis.{module}")
        for name in names:
            assert hasattr(theirs, name), (module, name)
            assert inspect.isclass(getattr(ours, name)), (module, name)
        star: Dict[str, Any] = {}
        exec(f"from redcore.{module} import *", star)
    # The lazily loaded ones are the classes the clients hand out.
    import redcore.asyncio.client

    assert redcore.asyncio.client.PubSub is type(redcore.asyncio.Redis().pubsub())
    assert redcore.client.Monitor is redcore.monitor.Monitor
    # Every exception redis.exceptions defines, caught by redis-py's class.
    for name, value in vars(redis.exceptions).items():
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == "redis.exceptions":
            assert issubclass(getattr(redcore.exceptions, name), value), name
    assert [e.value for e in redcore.exceptions.ExceptionType] == [e.value for e in redis.exceptions.ExceptionType]


# redis-py PubSub methods redcore's PubSub classes lack, with the reason.
PUBSUB_EXCLUDED: Dict[str, str] = {
    "clean_health_check_responses": "redcore's PubSub sends no health-check PINGs of its own "
                                    "(check_health has nothing to do), so it has no replies of them to drop",
    "is_health_check_response": "the same: no health-check replies to recognise",
}


def test_every_public_method_of_redis_py_pubsub_is_redcores_own() -> None:
    import redis.asyncio

    import redcore.asyncio

    seen: set = set()
    for theirs, ours in ((redis.client.PubSub, redcore.client.PubSub),
                         (redis.asyncio.client.PubSub, redcore.asyncio.client.PubSub)):
        names = {n for n in dir(theirs) if not n.startswith("_")}
        missing = sorted(n for n in names - set(PUBSUB_EXCLUDED) if own_definition(ours, n) is None)
        assert missing == [], f"{theirs.__module__}.PubSub methods redcore lacks"
        seen |= names
    assert set(PUBSUB_EXCLUDED) <= seen
