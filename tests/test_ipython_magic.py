"""The IPython extension (python/redcore/_magic.py): ``%load_ext redcore``,
``%redis``, ``%%redis`` and ``%redis_connect``, driven through IPython's
InteractiveShell."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

pytest.importorskip("IPython")

from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

import redcore  # noqa: E402
from redcore import _magic  # noqa: E402


@pytest.fixture
def shell(redis_url: str) -> Iterator[Any]:
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "redcore")
    sh.run_line_magic("redis_connect", redis_url)
    yield sh
    if _magic._session is not None:
        _magic._session.close()
        _magic._session = None


def test_line_magic_returns_redis_cli_text(shell: Any, redis_url: str) -> None:
    assert repr(shell.run_line_magic("redis", "SET greeting hello")) == "OK"
    assert repr(shell.run_line_magic("redis", "GET greeting")) == '"hello"'
    assert repr(shell.run_line_magic("redis", "INCR n")) == "(integer) 1"
    assert repr(shell.run_line_magic("redis", "GET missing")) == "(nil)"
    assert repr(shell.run_line_magic("redis", "LPUSH greeting x")).startswith("(error) WRONGTYPE")
    assert shell.run_line_magic("redis", "   ") is None
    # Python code sees the same data.
    assert redcore.Redis.from_url(redis_url).get("greeting") == b"hello"


def test_cell_magic_shows_every_reply(shell: Any, capsys: pytest.CaptureFixture) -> None:
    shell.run_cell_magic("redis", "", 'RPUSH l a "b c"\nLRANGE l 0 -1\n\nMULTI\nINCR n\nEXEC\n')
    out = capsys.readouterr().out
    assert out == '(integer) 2\n1) "a"\n2) "b c"\nOK\nQUEUED\n1) (integer) 1\n'


def test_tables_for_pairs(shell: Any) -> None:
    shell.run_line_magic("redis", "HSET user:1 name Ada city <London>")
    reply = shell.run_line_magic("redis", "HGETALL user:1")
    assert repr(reply) == '1) "name"\n2) "Ada"\n3) "city"\n4) "<London>"'
    html = reply._repr_html_()
    assert "<th>field</th><th>value</th>" in html
    assert "<tr><td>name</td><td>Ada</td></tr>" in html and "&lt;London&gt;" in html
    shell.run_line_magic("redis", "ZADD z 1 a 2.5 b")
    html = shell.run_line_magic("redis", "ZRANGE z 0 -1 WITHSCORES")._repr_html_()
    assert "<th>member</th><th>score</th>" in html and "<tr><td>b</td><td>2.5</td></tr>" in html
    assert shell.run_line_magic("redis", "ZRANGE z 0 -1")._repr_html_() is None
    assert shell.run_line_magic("redis", "HGETALL nothing")._repr_html_() is None


def test_rich_display_in_a_notebook_frontend(shell: Any) -> None:
    shell.run_line_magic("redis", "HSET h f v")
    data, _ = shell.display_formatter.format(shell.run_line_magic("redis", "HGETALL h"))
    assert data["text/plain"] == '1) "f"\n2) "v"' and "<table>" in data["text/html"]


def test_connect_to_a_server(shell: Any, redis_server: Any, capsys: pytest.CaptureFixture) -> None:
    redis_server.client().flushall()
    shell.run_line_magic("redis_connect", f"redis://127.0.0.1:{redis_server.port}/0")
    assert "connected to redis://" in capsys.readouterr().out
    shell.run_line_magic("redis", "SET from-magic 1")
    assert redis_server.client().get("from-magic") == b"1"
    shell.run_cell_magic("redis", f"redis://127.0.0.1:{redis_server.port}/1", "SET other-db 1")
    assert redis_server.client(db=1).get("other-db") == b"1"
    redis_server.client(db=1).flushdb()
