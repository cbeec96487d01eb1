"""Runs the exercises on your code, or with ``--solutions`` on the
reference solutions. Each test gets ``redis``, an empty embedded engine of
its own (redcore's pytest plugin; ``--redcore-url`` runs them on a server).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--solutions", action="store_true", help="test the reference solutions instead of your code")


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> ModuleType:
    """The module under test: ``exercises/<name>.py`` (yours) or
    ``exercises/solutions/<name>.py``, named after the test module."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    folder = HERE / "solutions" if request.config.getoption("solutions") else HERE
    spec = importlib.util.spec_from_file_location(f"exercise_{folder.name}_{name}", folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
