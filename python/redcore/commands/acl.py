"""AclCommands: redis-py's ACL and AUTH methods (names, signatures, return
types). On the embedded engine the users live in the engine: every client
of a named engine sees the same users, and each client runs as the user it
authenticated as."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ..exceptions import DataError

KeyT = Union[bytes, str, memoryview]
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]


def _encode(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8")


def _as_list(value: Any) -> List[Any]:
    """One string, or an iterable of them, as a list."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return [value]
    return list(value)


def _signed(items: Any, plus: bytes, minus: bytes, what: str) -> List[bytes]:
    """``+x`` / ``-x`` entries as ``<plus>x`` / ``<minus>x`` rules."""
    rules = []
    for i, item in enumerate(_as_list(items)):
        raw = _encode(item)
        if raw.startswith(b"+"):
            rules.append(plus + raw[1:])
        elif raw.startswith(b"-"):
            rules.append(minus + raw[1:])
        else:
            raise DataError(f'{what} {i} must be prefixed with a "+" to add or a "-" to remove')
    return rules


def _key_rule(key: Any) -> bytes:
    raw = _encode(key)
    return raw if raw.startswith((b"%", b"~")) else b"~" + raw


def _command_rule(cmd: Any) -> bytes:
    raw = _encode(cmd)
    if not raw.startswith((b"+", b"-")):
        raise DataError(f'Command "{raw.decode("utf-8", "replace")}" must be prefixed with "+" or "-"')
    return raw


class AclCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def acl_cat(self, category: Optional[str] = None, **kwargs: Any) -> List[str]:
        """The ACL categories, or the commands of ``category``.

        >>> "keyspace" in Redis().acl_cat()
        True
        """
        args = [category] if category else []
        return self.execute_command("ACL CAT", *args, **kwargs)

    def acl_deluser(self, *username: str, **kwargs: Any) -> int:
        """Delete users; returns how many existed. Their clients are
        disconnected."""
        return self.execute_command("ACL DELUSER", *username, **kwargs)

    def acl_dryrun(self, username: str, *args: EncodableT, **kwargs: Any) -> Any:
        """``OK`` if ``username`` may run the command ``args``, else the
        reason it may not (the command is not run)."""
        return self.execute_command("ACL DRYRUN", username, *args, **kwargs)

    def acl_genpass(self, bits: Optional[int] = None, **kwargs: Any) -> str:
        """A random password: 256 bits, or ``bits`` rounded up to a
        multiple of 4, as hex.

        >>> len(Redis().acl_genpass())
        64
        """
        args = []
        if bits is not None:
            try:
                n = int(bits)
            except ValueError:
                n = -1
            if not 0 <= n <= 4096:
                raise DataError("genpass optionally accepts a bits argument, between 0 and 4096.")
            args.append(n)
        return self.execute_command("ACL GENPASS", *args, **kwargs)

    def acl_getuser(self, username: str, **kwargs: Any) -> Optional[Dict[str, Any]]:
        """A user's flags, passwords (hashed), commands, categories, keys,
        channels and selectors, or None.

        >>> Redis().acl_getuser("default")["enabled"]
        True
        """
        return self.execute_command("ACL GETUSER", username, **kwargs)

    def acl_help(self, **kwargs: Any) -> List[str]:
        """ACL's help lines."""
        return self.execute_command("ACL HELP", **kwargs)

    def acl_list(self, **kwargs: Any) -> List[str]:
        """Every user as one rule line.

        >>> Redis().acl_list()
        ['user default on nopass ~* &* +@all']
        """
        return self.execute_command("ACL LIST", **kwargs)

    def acl_log(self, count: Optional[int] = None, **kwargs: Any) -> List[Dict[str, Any]]:
        """The latest ACL denials (refused commands, keys, channels, failed
        AUTH), newest first."""
        args = []
        if count is not None:
            if not isinstance(count, int):
                raise DataError("ACL LOG count must be an integer")
            args.append(count)
        return self.execute_command("ACL LOG", *args, **kwargs)

    def acl_log_reset(self, **kwargs: Any) -> bool:
        """Clear the ACL log."""
        return self.execute_command("ACL LOG", b"RESET", **kwargs)

    def acl_load(self, **kwargs: Any) -> bool:
        """Replace the users with those of the ``aclfile``."""
        return self.execute_command("ACL LOAD", **kwargs)

    def acl_save(self, **kwargs: Any) -> bool:
        """Write the users to the ``aclfile``."""
        return self.execute_command("ACL SAVE", **kwargs)

    def acl_setuser(
        self,
        username: str,
        enabled: bool = False,
        nopass: bool = False,
        passwords: Optional[Union[str, Iterable[str]]] = None,
        hashed_passwords: Optional[Union[str, Iterable[str]]] = None,
        categories: Optional[Iterable[str]] = None,
        commands: Optional[Iterable[str]] = None,
        keys: Optional[Iterable[KeyT]] = None,
        channels: Optional[Iterable[Any]] = None,
        selectors: Optional[Iterable[Tuple[str, KeyT]]] = None,
        reset: bool = False,
        reset_keys: bool = False,
        reset_channels: bool = False,
        reset_passwords: bool = False,
        **kwargs: Any,
    ) -> bool:
        """Create or change a user, as redis-py builds the rules: passwords
        and hashed passwords prefixed ``+`` (add) or ``-`` (remove),
        categories and commands prefixed ``+`` / ``-``, key patterns without
        ``~`` (or with ``%R~`` / ``%W~``), channel patterns, and selectors
        as ``(command, key)`` pairs.

        >>> r = Redis()
        >>> r.acl_setuser("reader", enabled=True, passwords=["+secret"],
        ...               commands=["+get"], keys=["cache:*"])
        True
        """
        rules: List[bytes] = [_encode(username)]
        for flag, rule in ((reset, b"reset"), (reset_keys, b"resetkeys"),
                           (reset_channels, b"resetchannels"), (reset_passwords, b"resetpass")):
            if flag:
                rules.append(rule)
        rules.append(b"on" if enabled else b"off")
        if nopass and (passwords or hashed_passwords):
            raise DataError("Cannot set 'nopass' and supply 'passwords' or 'hashed_passwords'")
        if passwords:
            rules += _signed(passwords, b">", b"<", "Password")
        if hashed_passwords:
            rules += _signed(hashed_passwords, b"#", b"!", "Hashed password")
        if nopass:
            rules.append(b"nopass")
        for category in categories or ():
            raw = _encode(category)
            if raw[:1] not in (b"+", b"-"):
                raise DataError(f'Category "{raw.decode("utf-8", "replace")}" must be prefixed with "+" or "-"')
            rules.append(raw if raw[1:2] == b"@" else raw[:1] + b"@" + raw[1:])
        rules += [_command_rule(c) for c in commands or ()]
        rules += [_key_rule(k) for k in keys or ()]
        rules += [b"&" + _encode(c) for c in channels or ()]
        for cmd, key in selectors or ():
            rules.append(b"(" + _command_rule(cmd) + b" " + _key_rule(key) + b")")
        return self.execute_command("ACL SETUSER", *rules, **kwargs)

    def acl_users(self, **kwargs: Any) -> List[str]:
        """The user names, sorted."""
        return self.execute_command("ACL USERS", **kwargs)

    def acl_whoami(self, **kwargs: Any) -> str:
        """The user this client runs as.

        >>> Redis().acl_whoami()
        'default'
        """
        return self.execute_command("ACL WHOAMI", **kwargs)

    def auth(self, password: str, username: Optional[str] = None, **kwargs: Any) -> bool:
        """Authenticate this client as ``username`` (default: the
        ``default`` user)."""
        args = [password] if username is None else [username, password]
        return self.execute_command("AUTH", *args, **kwargs)
