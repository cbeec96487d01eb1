"""``Script``: a Lua script registered with :meth:`Redis.register_script`.

Calling it runs EVALSHA with the script's SHA1; when the engine does not
know the script yet (``NoScriptError``) it is loaded and the call retried.
On a pipeline the call is queued and the pipeline loads its scripts before
it executes, as redis-py does.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Optional, Sequence

from .exceptions import NoScriptError


class Script:
    """An executable Lua script bound to a client.

    >>> import redcore
    >>> r = redcore.Redis()
    >>> double = r.register_script("return ARGV[1] * 2")
    >>> double(args=[21])
    42
    """

    def __init__(self, registered_client: Any, script: Any) -> None:
        self.registered_client = registered_client
        self.script = script
        if isinstance(script, str):
            encoding, errors = registered_client._encoding
            script = script.encode(encoding, errors)
        self.sha = hashlib.sha1(script).hexdigest()

    def __call__(
        self,
        keys: Optional[Sequence[Any]] = None,
        args: Optional[Iterable[Any]] = None,
        client: Any = None,
    ) -> Any:
        """Run the script with ``keys`` and ``args`` (on ``client`` if
        given, a pipeline included)."""
        keys = keys or []
        args = args or []
        if client is None:
            client = self.registered_client
        all_args = tuple(keys) + tuple(args)
        # A pipeline (redcore's or redis-py's) loads its scripts before it
        # runs; `_is_pipeline` is a method, true of pipelines only.
        scripts = getattr(client, "scripts", None)
        if isinstance(scripts, set):
            scripts.add(self)
        try:
            return client.evalsha(self.sha, len(keys), *all_args)
        except NoScriptError:
            self.sha = client.script_load(self.script)
            return client.evalsha(self.sha, len(keys), *all_args)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}(sha={self.sha})>"


__all__ = ["Script"]
