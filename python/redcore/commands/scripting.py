"""ScriptingCommands (redis-py method names and signatures)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Union

from ..exceptions import DataError

if TYPE_CHECKING:  # pragma: no cover
    from .._script import Script

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]


class ScriptingCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def _eval(self, command: str, script: Any, numkeys: int, *keys_and_args: Any) -> Any:
        return self.execute_command(command, script, numkeys, *keys_and_args)

    def eval(self, script: Any, numkeys: int, *keys_and_args: Any) -> Any:
        """Run the Lua ``script`` with the first ``numkeys`` of
        ``keys_and_args`` as ``KEYS`` and the rest as ``ARGV``.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.eval("return {KEYS[1], ARGV[1]}", 1, "k", "v")
        [b'k', b'v']
        """
        return self._eval("EVAL", script, numkeys, *keys_and_args)

    def eval_ro(self, script: Any, numkeys: int, *keys_and_args: Any) -> Any:
        """Like :meth:`eval`, refusing write commands inside the script.

        >>> import redcore
        >>> redcore.Redis().eval_ro("return redis.call('exists', KEYS[1])", 1, "k")
        0
        """
        return self._eval("EVAL_RO", script, numkeys, *keys_and_args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Any) -> Any:
        """Run a cached script by its SHA1 (``NoScriptError`` if unknown).

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.evalsha(r.script_load("return 1"), 0)
        1
        """
        return self._eval("EVALSHA", sha, numkeys, *keys_and_args)

    def evalsha_ro(self, sha: str, numkeys: int, *keys_and_args: Any) -> Any:
        """Read-only :meth:`evalsha`.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.evalsha_ro(r.script_load("return 'ro'"), 0)
        b'ro'
        """
        return self._eval("EVALSHA_RO", sha, numkeys, *keys_and_args)

    def script_exists(self, *args: str) -> List[bool]:
        """Which of the SHA1s are cached, as booleans.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.script_exists(r.script_load("return 1"), "0" * 40)
        [True, False]
        """
        return self.execute_command("SCRIPT EXISTS", *args)

    def script_debug(self, *args: Any) -> None:
        raise NotImplementedError("SCRIPT DEBUG is intentionally not implemented in the client.")

    def script_flush(self, sync_type: Optional[str] = None) -> bool:
        """Drop every cached script (``sync_type``: ``"SYNC"`` or ``"ASYNC"``).

        >>> import redcore
        >>> redcore.Redis().script_flush()
        True
        """
        if sync_type not in ["SYNC", "ASYNC", None]:
            raise DataError(
                "SCRIPT FLUSH defaults to SYNC in redis > 6.2, or "
                "accepts SYNC/ASYNC. For older versions, "
                "of redis leave as None."
            )
        pieces = [] if sync_type is None else [sync_type]
        return self.execute_command("SCRIPT FLUSH", *pieces)

    def script_kill(self) -> bool:
        """Stop the running script (if it has not written yet).

        >>> import redcore
        >>> redcore.Redis().script_kill()
        Traceback (most recent call last):
        ...
        redcore.exceptions.ResponseError: NOTBUSY No scripts in execution right now.
        """
        return self.execute_command("SCRIPT KILL")

    def script_load(self, script: Any) -> str:
        """Cache ``script`` without running it; returns its SHA1.

        >>> import redcore
        >>> redcore.Redis().script_load("return 1")
        'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'
        """
        return self.execute_command("SCRIPT LOAD", script)

    def register_script(self, script: Any) -> "Script":
        """A callable :class:`~redcore._script.Script` for ``script``:
        calling it runs EVALSHA, loading the script first when needed.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
        >>> incr(keys=["n"], args=[5])
        5
        """
        from .._script import Script

        return Script(self, script)
