"""redcore's pytest plugin (python/redcore/pytest_plugin.py), run in inner
pytest sessions with pytester: the plugin is loaded from its ``pytest11``
entry point, as in a user's project."""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, source: str, *args: str) -> Any:
    # pytest-asyncio (installed for the project's own tests) warns in
    # every inner session unless its loop scope is set.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_plugin_is_loaded_from_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--redcore-url*"])
    result = pytester.runpytest("-p", "no:redcore", "--help")
    assert "--redcore-url" not in result.stdout.str()


def test_fresh_engine_per_test(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import redcore

        def test_one(redis):
            assert isinstance(redis, redcore.Redis)
            assert redis.dbsize() == 0
            redis.set("k", "one")

        def test_two(redis):
            assert redis.get("k") is None

        def test_alias(redcore_client):
            assert redcore_client.dbsize() == 0
            redcore_client.set("k", 1)

        def test_pytest_redis_name(redisdb):
            assert redisdb.dbsize() == 0
            redisdb.set("k", 1)
    """)
    result.assert_outcomes(passed=4)


def test_redis_url_names_the_tests_engine(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import redcore

        def test_url(redis, redis_url, redcore_factory):
            assert redis_url.startswith("memory://")
            redis.set("k", "v")
            assert redcore.Redis.from_url(redis_url).get("k") == b"v"
            assert redcore_factory(decode_responses=True).get("k") == "v"

        def test_engines_are_dropped(redis_url):
            import redcore._redcore
            name = redis_url[len("memory://"):]
            test_engines_are_dropped.name = name
            redcore.Redis.from_url(redis_url).set("x", 1)

        def test_dropped_after(request):
            import redcore._redcore
            assert redcore._redcore.forget_engine(test_engines_are_dropped.name) is False
    """)
    result.assert_outcomes(passed=3)


def test_no_database_ceiling_under_many_tests(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import pytest

        @pytest.mark.parametrize("i", range(40))
        def test_many(redis, i):
            assert redis.dbsize() == 0
            redis.set(f"k{i}", i)
    """)
    result.assert_outcomes(passed=40)


def test_xdist_workers_each_get_their_own(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = run(pytester, """
        import pytest

        @pytest.mark.parametrize("i", range(20))
        def test_many(redis, i):
            assert redis.dbsize() == 0
            redis.set("shared-name", i)
            assert redis.get("shared-name") == str(i).encode()
    """, "-n", "2")
    result.assert_outcomes(passed=20)


def test_against_a_server_with_redcore_url(pytester: pytest.Pytester, redis_server: Any) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/3"
    redis_server.client(db=3).set("left-over", 1)
    result = run(pytester, """
        import pytest

        def test_flushed_and_remote(redis, redis_url):
            assert redis_url.startswith("redis://")
            assert redis.dbsize() == 0
            assert redis.connection_pool.connection_kwargs["port"] > 0
            redis.set("k", 1)

        def test_nooproc(redis_nooproc, redis):
            assert redis_nooproc.port > 0 and redis_nooproc.dbnum == 3
            assert redis.get("k") is None

        @pytest.mark.redcore_backends
        def test_every_backend(redis, redcore_backend):
            redis.incr("n")
            assert redis.get("n") == b"1"
            print("BACKEND", redcore_backend)
    """, f"--redcore-url={url}", "-s")
    result.assert_outcomes(passed=4)
    out = result.stdout.str()
    assert "BACKEND embedded" in out and "BACKEND server" in out


def test_marker_without_a_server_runs_embedded_only(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import pytest

        @pytest.mark.redcore_backends
        def test_every_backend(redis, redcore_backend):
            assert redcore_backend == "embedded"
    """, "-v", "--strict-markers")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_every_backend?embedded?*PASSED*"])


def test_process_fixtures(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import redcore

        def test_proc(redis_proc):
            assert redis_proc.running() and redis_proc.version
            c = redcore.Redis(host=redis_proc.host, port=redis_proc.port)
            assert c.ping()

        def test_nooproc_needs_a_url(redis_nooproc):
            pass

        def test_server_fixture(redcore_server):
            assert redcore.Redis.from_url(redcore_server.url).ping()
    """, "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == (2 if hasattr(__import__("redcore"), "Server") else 1)
    result.stdout.fnmatch_lines(["*redis_nooproc needs --redcore-url*"])


def test_async_client_skips_without_redcore_asyncio(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import pytest

        @pytest.mark.asyncio
        async def test_async(redcore_async_client, redis):
            await redcore_async_client.set("k", "v")
            assert await redcore_async_client.get("k") == b"v"
            assert redis.get("k") == b"v"  # the same dataset as the sync fixture
    """)
    try:
        import redcore.asyncio  # noqa: F401
    except ImportError:
        result.assert_outcomes(skipped=1)
    else:
        result.assert_outcomes(passed=1)


def test_user_fixture_named_redis_wins(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest

        @pytest.fixture
        def redis():
            return "mine"
    """)
    result = run(pytester, """
        def test_own(redis):
            assert redis == "mine"
    """)
    result.assert_outcomes(passed=1)
