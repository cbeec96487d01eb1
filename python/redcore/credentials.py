"""Credential providers, as redis-py's ``redis.credentials``.

A client given ``credential_provider=`` asks it for credentials each time
it opens a connection (a network connection, or an embedded client's first
command and its reconnection after CLIENT KILL), so a password that
rotates is picked up by new connections. ``get_credentials()`` returns
``(password,)`` (the ``default`` user) or ``(username, password)``.
When redis-py is installed these classes derive from its own, so redis-py
providers work too and either ``isinstance`` check passes.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

from ._compat import redis_base


class CredentialProvider(*redis_base("redis.credentials", "CredentialProvider")):  # type: ignore[misc]  # redis-py base when installed
    """Base class of credential providers: override :meth:`get_credentials`."""

    def get_credentials(self) -> Union[Tuple[str], Tuple[str, str]]:
        """``(password,)`` or ``(username, password)`` for a new connection."""
        raise TypeError(f"{type(self).__name__} must define get_credentials()")

    async def get_credentials_async(self) -> Union[Tuple[str], Tuple[str, str]]:
        """The same, for asyncio clients."""
        return self.get_credentials()


class UsernamePasswordCredentialProvider(CredentialProvider, *redis_base("redis.credentials", "UsernamePasswordCredentialProvider")):  # type: ignore[misc]  # redis-py base when installed
    """Fixed credentials: ``(username, password)``, or ``(password,)``
    when no username is given.

    >>> UsernamePasswordCredentialProvider("app", "s3cret").get_credentials()
    ('app', 's3cret')
    """

    def __init__(self, username: Optional[str] = None, password: Optional[str] = None) -> None:
        self.username = username or ""
        self.password = password or ""

    def get_credentials(self) -> Union[Tuple[str], Tuple[str, str]]:
        if self.username:
            return self.username, self.password
        return (self.password,)


__all__ = ["CredentialProvider", "UsernamePasswordCredentialProvider"]
