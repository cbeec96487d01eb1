"""FunctionCommands: Redis 7.0 Functions (redis-py method names and
signatures): FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP / RESTORE / KILL /
STATS and FCALL / FCALL_RO."""

from __future__ import annotations

from typing import Any, List, Optional, Union

EncodableT = Union[bytes, bytearray, memoryview, str, int, float]


class FunctionCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def function_load(self, code: str, replace: Optional[bool] = False) -> Union[bytes, str]:
        """Load a library (``code`` starts with ``#!lua name=<library>``);
        ``replace`` overwrites a library of the same name. Returns the
        library's name.

        >>> import redcore
        >>> r = redcore.Redis()
        >>> r.function_load("#!lua name=mylib\\nredis.register_function('hi', function() return 'hello' end)")
        b'mylib'
        >>> r.fcall("hi", 0)
        b'hello'
        """
        pieces: List[Any] = ["REPLACE"] if replace else []
        pieces.append(code)
        return self.execute_command("FUNCTION LOAD", *pieces)

    def function_delete(self, library: str) -> bool:
        """Delete ``library`` and its functions (``ResponseError`` if it
        does not exist)."""
        return self.execute_command("FUNCTION DELETE", library)

    def function_flush(self, mode: str = "SYNC") -> bool:
        """Delete every library (``mode``: ``"SYNC"`` or ``"ASYNC"``)."""
        return self.execute_command("FUNCTION FLUSH", mode)

    def function_list(self, library: Optional[str] = "*", withcode: Optional[bool] = False) -> List[Any]:
        """The libraries whose names match the glob ``library``, each as a
        flat ``[b'library_name', name, b'engine', b'LUA', b'functions',
        [...]]`` list (plus ``b'library_code'`` with ``withcode``)."""
        args: List[Any] = ["LIBRARYNAME", library]
        if withcode:
            args.append("WITHCODE")
        return self.execute_command("FUNCTION LIST", *args)

    def _fcall(self, command: str, function: Any, numkeys: int, *keys_and_args: Any) -> Any:
        return self.execute_command(command, function, numkeys, *keys_and_args)

    def fcall(self, function: Any, numkeys: int, *keys_and_args: Any) -> Any:
        """Call ``function`` with the first ``numkeys`` of ``keys_and_args``
        as its keys and the rest as its arguments."""
        return self._fcall("FCALL", function, numkeys, *keys_and_args)

    def fcall_ro(self, function: Any, numkeys: int, *keys_and_args: Any) -> Any:
        """Like :meth:`fcall` for a function flagged ``no-writes``; write
        commands inside it are refused."""
        return self._fcall("FCALL_RO", function, numkeys, *keys_and_args)

    def function_dump(self) -> bytes:
        """Every library as a serialized payload (Redis's format, for
        :meth:`function_restore` here or on a Redis server). Never decoded."""
        return self.execute_command("FUNCTION DUMP", NEVER_DECODE=[])

    def function_restore(self, payload: str, policy: Optional[str] = "APPEND") -> bool:
        """Load the libraries of a :meth:`function_dump` payload;
        ``policy``: ``"APPEND"`` (fail on a name clash), ``"REPLACE"`` or
        ``"FLUSH"`` (drop the current libraries first)."""
        return self.execute_command("FUNCTION RESTORE", payload, policy)

    def function_kill(self) -> Union[bytes, str]:
        """Stop the running function (if it has not written yet)."""
        return self.execute_command("FUNCTION KILL")

    def function_stats(self) -> Any:
        """The running function (or None) and the engines' library and
        function counts, as the server replies them."""
        return self.execute_command("FUNCTION STATS")
