"""Engine settings given at creation (a module of its own, so that the
server can start without importing the client side, or redis-py)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def startup_config(config: Optional[Dict[str, Any]]) -> Optional[List[Any]]:
    """``{"dir": path, "enable-debug-command": True}`` -> the (name, value)
    byte pairs an embedded engine takes at creation, as redis-server takes
    command-line options (``None``: the defaults)."""
    if config is None:
        return None

    def text(v: Any) -> bytes:
        if isinstance(v, bool):
            v = "yes" if v else "no"
        elif isinstance(v, (list, tuple)):
            v = " ".join(str(x) for x in v)
        return v if isinstance(v, bytes) else str(v).encode()

    return [(text(k), text(v)) for k, v in config.items()]
