"""redis-py connection arguments redcore used to ignore, on every backend:
``credential_provider=`` (asked at each new connection) and
``lib_name`` / ``lib_version`` / ``driver_info`` (CLIENT SETINFO on
connect, an error from a server before 7.2 ignored). The oracle is
redis-py against redis-server 7.0; ACL users are made on the test server
(or the embedded engine) and removed after each test."""

from typing import Any, Iterator, List

import pytest

import redcore
from redcore.credentials import CredentialProvider, UsernamePasswordCredentialProvider

USER = "rotor"


class Rotating(CredentialProvider):
    """Hands out the next password of a list at each call."""

    def __init__(self, user: str, passwords: List[str]) -> None:
        self.user = user
        self.passwords = passwords
        self.calls = 0

    def get_credentials(self) -> Any:
        pw = self.passwords[min(self.calls, len(self.passwords) - 1)]
        self.calls += 1
        return (self.user, pw)


@pytest.fixture
def admin(make: Any) -> Iterator[Any]:
    admin = make(decode_responses=True)
    admin.execute_command("ACL", "SETUSER", USER, "on", ">pw1", "~*", "&*", "+@all")
    yield admin
    admin.execute_command("ACL", "DELUSER", USER)


def reconnect(admin: Any, client: Any) -> None:
    """Drops ``client``'s connection: its next command opens a new one."""
    assert admin.client_kill_filter(_id=client.client_id()) == 1


def test_provider_is_asked_at_each_new_connection(make: Any, admin: Any) -> None:
    provider = Rotating(USER, ["pw1", "pw2"])
    c = make(credential_provider=provider, decode_responses=True)
    assert c.acl_whoami() == USER
    assert provider.calls == 1
    c.set("k", "v")
    assert provider.calls == 1
    # The password rotates: the live connection stays authenticated, the
    # next one authenticates with the provider's new password.
    admin.execute_command("ACL", "SETUSER", USER, "resetpass", ">pw2")
    assert c.get("k") == "v"
    reconnect(admin, c)
    assert c.acl_whoami() == USER
    assert provider.calls == 2


def test_wrong_password_raises_authentication_error(make: Any, admin: Any) -> None:
    c = make(credential_provider=UsernamePasswordCredentialProvider(USER, "nope"))
    with pytest.raises(c.exc.AuthenticationError) as e:
        c.ping()
    assert "invalid username-password pair" in str(e.value)


def test_rotation_to_a_wrong_password_fails_the_new_connection(make: Any, admin: Any) -> None:
    provider = Rotating(USER, ["pw1", "stale"])
    c = make(credential_provider=provider, decode_responses=True)
    assert c.acl_whoami() == USER
    reconnect(admin, c)
    with pytest.raises(c.exc.AuthenticationError):
        c.acl_whoami()


def test_password_only_credentials_are_the_default_user(make: Any) -> None:
    """``(password,)`` authenticates the default user (nopass here, so any
    password is accepted)."""
    c = make(credential_provider=UsernamePasswordCredentialProvider(password="anything"), decode_responses=True)
    assert c.acl_whoami() == "default"


def test_provider_reaches_pipelines_and_pools(make: Any, admin: Any) -> None:
    provider = Rotating(USER, ["pw1"])
    c = make(credential_provider=provider, decode_responses=True)
    pipe = c.pipeline()
    pipe.execute_command("ACL", "WHOAMI")
    assert pipe.execute() == [USER]
    assert c.connection_pool.connection_kwargs["credential_provider"] is provider
    rebuilt = make(**{k: v for k, v in c.connection_pool.connection_kwargs.items() if k == "credential_provider"}, decode_responses=True)
    assert rebuilt.acl_whoami() == USER


def test_provider_errors_reach_the_caller(make: Any, backend: str) -> None:
    class Broken(CredentialProvider):
        def get_credentials(self) -> Any:
            raise RuntimeError("vault is sealed")

    c = make(credential_provider=Broken())
    with pytest.raises(RuntimeError, match="vault is sealed"):
        c.ping()
    # The provider's own error, raised once, not retried.
    calls = []

    class Counting(CredentialProvider):
        def get_credentials(self) -> Any:
            calls.append(1)
            raise KeyError("no such secret")

    with pytest.raises(KeyError):
        make(credential_provider=Counting()).ping()
    assert len(calls) == 1


def test_credential_classes_are_redis_py_ones_too() -> None:
    import redis.credentials

    p = redcore.UsernamePasswordCredentialProvider("u", "p")
    assert isinstance(p, redis.credentials.CredentialProvider)
    assert isinstance(p, redis.credentials.UsernamePasswordCredentialProvider)
    assert p.get_credentials() == ("u", "p")
    assert redcore.UsernamePasswordCredentialProvider(password="p").get_credentials() == ("p",)


def errors_of_connecting(make: Any, admin: Any, **kwargs: Any) -> int:
    """Error replies a new connection made with ``kwargs`` caused."""
    admin.config_resetstat()
    assert make(**kwargs).ping() is True
    stats = admin.info("errorstats")
    return int(stats.get("errorstat_ERR", {}).get("count", 0))


@pytest.mark.parametrize("kwargs, sent", [
    ({}, 2),
    ({"lib_name": "mylib", "lib_version": "1.2"}, 2),
    ({"lib_name": None}, 1),
    ({"driver_info": None}, 0),
])
def test_client_setinfo_on_connect_is_sent_and_its_error_ignored(make: Any, backend: str, kwargs: Any, sent: int) -> None:
    """redis-server 7.0 has no CLIENT SETINFO: each one sent on connect
    answers an error (counted in INFO errorstats) that the client ignores
    (redis-py may send other optional handshake commands: the count is
    taken against a connection that sends no SETINFO)."""
    if backend in ("embedded", "server"):
        pytest.skip("redcore's engine has CLIENT SETINFO (see tests/commands/test_client_setinfo.py)")
    admin = make(lib_name=None, lib_version=None)
    base = errors_of_connecting(make, admin, lib_name=None, lib_version=None)
    assert errors_of_connecting(make, admin, **kwargs) - base == sent
