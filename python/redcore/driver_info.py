"""``DriverInfo``: the library name and version a connection announces
with ``CLIENT SETINFO LIB-NAME`` / ``LIB-VER``, as redis-py 8 builds them.

A library built on the client adds itself as an upstream driver, and the
name becomes ``redcore(django-redis_v6.0.0;other_v1.2)``::

    >>> import redcore
    >>> info = redcore.DriverInfo().add_upstream_driver("django-redis", "6.0.0")
    >>> info.formatted_name
    'redcore(django-redis_v6.0.0)'

Clients take it as ``Redis(driver_info=...)``; a redis-py ``DriverInfo``
works there too.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional

from ._redcore import __version__

_UNSET: Any = object()
_PACKAGE_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")


def _check_printable(value: str, what: str) -> None:
    """CLIENT LIST shows these values: printable ASCII, no space, no braces."""
    if any(not ("!" <= ch <= "~") or ch in "()[]{}" for ch in value):
        raise ValueError(f"{what} must not contain spaces, newlines, non-printable characters, or braces")


class DriverInfo:
    """The values of ``CLIENT SETINFO LIB-NAME`` and ``LIB-VER``.

    ``name`` defaults to ``"redcore"`` and ``lib_version`` to redcore's
    version; ``None`` sends nothing for that field.
    """

    def __init__(self, name: Optional[str] = _UNSET, lib_version: Optional[str] = _UNSET) -> None:
        self.name: Optional[str] = "redcore" if name is _UNSET else name
        self.lib_version: Optional[str] = __version__ if lib_version is _UNSET else lib_version
        self._upstream: List[str] = []

    @property
    def upstream_drivers(self) -> List[str]:
        """The upstream drivers, newest first, each as ``name_vVERSION``."""
        return list(self._upstream)

    def add_upstream_driver(self, driver_name: str, driver_version: str) -> "DriverInfo":
        """Adds a library built on this client (newest first in
        :attr:`formatted_name`) and returns ``self``."""
        if driver_name is None:
            raise ValueError("Driver name must not be None")
        if driver_version is None:
            raise ValueError("Driver version must not be None")
        _check_printable(driver_name, "Driver name")
        if not _PACKAGE_NAME.match(driver_name):
            raise ValueError(
                "Upstream driver name must use a Python package-style name: start with a lowercase "
                "letter and contain only lowercase letters, digits, hyphens, and underscores "
                "(e.g., 'django-redis')."
            )
        _check_printable(driver_version, "Driver version")
        self._upstream.insert(0, f"{driver_name}_v{driver_version}")
        return self

    @property
    def formatted_name(self) -> Optional[str]:
        """LIB-NAME: ``name``, with the upstream drivers in parentheses
        when there are any; None when ``name`` is None or empty."""
        if not isinstance(self.name, str) or not self.name:
            return None
        if not self._upstream:
            return self.name
        return f"{self.name}({';'.join(self._upstream)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DriverInfo):
            return NotImplemented
        return (self.name, self.lib_version, self._upstream) == (other.name, other.lib_version, other._upstream)

    def __repr__(self) -> str:
        return f"DriverInfo(name={self.name!r}, lib_version={self.lib_version!r}, upstream={self._upstream!r})"
