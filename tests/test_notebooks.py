"""notebooks/: every chapter notebook runs from top to bottom without an
error (nbclient, a real Jupyter kernel) on the embedded engine, and the
committed ``.ipynb`` files are the jupytext pairs of the ``.py`` sources,
without outputs. The long run also executes them against a redis-server
(``REDIS_URL``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = ["01-core-concepts", "02-data-structures", "03-applications", "04-scaling", "05-production"]


def test_one_notebook_per_chapter() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == CHAPTERS
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_ipynb_matches_its_py_source(name: str) -> None:
    paired = jupytext.read(NOTEBOOKS / f"{name}.py")
    committed = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in paired.cells], (
        f"notebooks/{name}.ipynb is out of date: run `jupytext --sync notebooks/{name}.py`")
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}.ipynb has outputs committed"


def execute(name: str) -> Any:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def outputs(nb: Any) -> str:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") or "".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


@pytest.mark.parametrize("name", CHAPTERS)
def test_notebook_runs_embedded(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    # The default run skips the cells that start local redis-server,
    # redis-sentinel and cluster processes (seconds each); the long run
    # below runs them.
    monkeypatch.setenv("REDCORE_TUTORIAL_SERVERS", "0")
    nb = execute(name)
    text = outputs(nb)
    if name == "01-core-concepts":
        assert '"Redis"' in text and "(integer) 10" in text  # %%redis printed redis-cli's format
    if name == "03-applications":
        assert any("image/png" in out.get("data", {}) for c in nb.cells for out in c.get("outputs", [])), "no chart"


@pytest.mark.long
@pytest.mark.parametrize("name", ["04-scaling", "05-production"])
def test_notebook_starts_local_servers(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("REDCORE_TUTORIAL_SERVERS", raising=False)
    text = outputs(execute(name))
    if shutil.which("redis-server"):
        assert "skipped" not in text, text


@pytest.mark.parametrize("name", [n if n == "01-core-concepts" else pytest.param(n, marks=pytest.mark.long) for n in CHAPTERS])
def test_notebook_runs_on_a_server(name: str, redis_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_server.client().flushall()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{redis_server.port}/0")
    monkeypatch.setenv("REDCORE_TUTORIAL_SERVERS", "0")
    execute(name)
    redis_server.client().flushall()
