"""ACL and AUTH: users, rules, the checks every command passes (NOPERM,
NOAUTH), the ACL LOG, requirepass, and clients constructed with
``username=`` / ``password=``. Every test runs on the embedded engine and
on the real server; tests that change users or requirepass restore the
shared server in the ``acl`` fixture's finalizer, even on failure."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

PW = "redcore-test-pw"


def _admin(redis_server: Any) -> Any:
    """A client of the shared server that gets past a requirepass."""
    admin = redis_server.client()
    try:
        admin.ping()
    except Exception:
        admin = redis_server.client(password=PW)
    return admin


@pytest.fixture
def acl(make: Callable[..., Any], backend: str, redis_server: Any) -> Iterator[Callable[..., Any]]:
    """``make``; afterwards the server's users, default user, requirepass
    and ACL LOG are as before the test."""
    yield make
    if backend == "embedded":
        return
    admin = _admin(redis_server)
    admin.config_set("requirepass", "")
    admin.execute_command(
        "ACL", "SETUSER", "default", "on", "nopass", "resetkeys", "allkeys",
        "resetchannels", "allchannels", "allcommands", "clearselectors",
    )
    for user in admin.acl_users():
        if user != "default":
            admin.acl_deluser(user)
    admin.acl_log_reset()
    admin.close()


def err(exc: type, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(exc) as e:
        fn(*args, **kwargs)
    return str(e.value)


def test_default_user(acl):
    r = acl(decode_responses=True)
    assert r.acl_whoami() == "default"
    assert r.acl_users() == ["default"]
    assert r.acl_list() == ["user default on nopass ~* &* +@all"]
    user = r.acl_getuser("default")
    assert user["flags"] == ["on", "nopass"]
    assert user["enabled"] is True
    assert user["keys"] == ["~*"] and user["channels"] == ["&*"]
    assert user["categories"] == ["+@all"] and user["commands"] == []
    assert r.acl_getuser("nobody") is None


def test_setuser_getuser_list_deluser(acl):
    r = acl(decode_responses=True)
    assert r.acl_setuser(
        "alice", enabled=True, passwords=["+p1", "+p2"], keys=["k*", "%R~r*"],
        channels=["ch*"], commands=["+get", "-hdel"], categories=["+hash"],
        selectors=[("+set", "s*")],
    )
    user = r.acl_getuser("alice")
    assert user["flags"] == ["on"]
    assert len(user["passwords"]) == 2
    assert user["keys"] == ["~k*", "%R~r*"]
    assert user["channels"] == ["&ch*"]
    assert user["categories"] == ["-@all", "+@hash"]
    assert sorted(user["commands"]) == ["+get", "-hdel"]
    assert user["selectors"] == [["commands", "-@all +set", "keys", "~s*", "channels", ""]]
    assert r.acl_users() == ["alice", "default"]
    r.acl_setuser("bob", reset=True, passwords="+x")
    assert r.acl_getuser("bob")["flags"] == ["off", "sanitize-payload"]
    line = [x for x in r.acl_list() if x.startswith("user bob ")][0]
    assert line.startswith("user bob off sanitize-payload #")
    assert line.endswith(" resetchannels -@all")
    assert r.acl_deluser("alice", "nobody", "bob") == 2
    assert r.acl_users() == ["default"]
    assert err(r.exc.ResponseError, r.acl_deluser, "default") == "The 'default' user cannot be removed"


def test_setuser_rules_are_all_or_nothing(acl):
    r = acl(decode_responses=True)
    r.acl_setuser("carol", enabled=True, nopass=True)
    assert err(r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "carol", "off", "foo") == (
        "Error in ACL SETUSER modifier 'foo': Syntax error"
    )
    assert r.acl_getuser("carol")["enabled"] is True
    assert err(r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "carol", "+nosuch") == (
        "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
    )
    assert "Adding a pattern after the * pattern" in err(
        r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "carol", "allkeys", "~a"
    )
    assert "must be exactly 64 characters" in err(
        r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "carol", "#abc"
    )
    assert err(r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "carol", "<nothere") == (
        "Error in ACL SETUSER modifier '<nothere': The password you are trying to remove from the user does not exist"
    )
    assert err(r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "carol", "(+get") == (
        "Unmatched parenthesis in acl selector starting at '(+get'."
    )
    assert err(r.exc.ResponseError, r.execute_command, "ACL", "SETUSER", "a b") == (
        "Usernames can't contain spaces or null characters"
    )


def test_command_rule_descriptions(acl):
    r = acl(decode_responses=True)
    for rules, expected in [
        ("+get +@hash", "-@all +@hash +get"),
        ("+@all -@hash +hget", "+@all -@hash +hget"),
        ("+@string -@string", "-@all"),
        ("allcommands -get", "+@all -get"),
        ("+config|get +config", "-@all +config"),
        ("+config|get -config", "-@all"),
    ]:
        r.execute_command("ACL", "SETUSER", "dave", "reset", *rules.split())
        line = [x for x in r.acl_list() if x.startswith("user dave ")][0]
        assert line == f"user dave off sanitize-payload resetchannels {expected}", rules


def test_auth_switches_user(acl):
    r = acl(decode_responses=True)
    r.acl_setuser("erin", enabled=True, passwords=["+pw"], commands=["+acl|whoami", "+get"], keys=["*"])
    assert r.auth("pw", username="erin") is True
    assert r.acl_whoami() == "erin"
    assert err(r.exc.AuthenticationError, r.auth, "bad", username="erin") == (
        "invalid username-password pair or user is disabled."
    )
    msg = err(r.exc.AuthenticationError, r.auth, "pw")
    assert "AUTH <password> called without any password configured for the default user" in msg


def test_client_with_credentials_authenticates_on_connect(acl):
    admin = acl(decode_responses=True)
    admin.acl_setuser("frank", enabled=True, passwords=["+pw"], commands=["+@all"], keys=["*"])
    c = acl(decode_responses=True, username="frank", password="pw")
    assert c.acl_whoami() == "frank"
    bad = acl(username="frank", password="nope")
    with pytest.raises(bad.exc.AuthenticationError):
        bad.ping()


def test_noperm_for_commands_keys_and_channels(acl):
    admin = acl(decode_responses=True)
    admin.acl_setuser(
        "gina", enabled=True, passwords=["+pw"], keys=["k*", "%R~r*"], channels=["c1"],
        commands=["+get", "+set", "+publish", "+multi", "+exec", "+eval"],
    )
    c = acl(decode_responses=True, username="gina", password="pw")
    assert c.set("k1", "v") is True and c.get("k1") == "v"
    assert c.get("r1") is None
    assert err(c.exc.NoPermissionError, c.get, "x") == (
        "this user has no permissions to access one of the keys used as arguments"
    )
    assert err(c.exc.NoPermissionError, c.set, "r1", "v") == (
        "this user has no permissions to access one of the keys used as arguments"
    )
    assert err(c.exc.NoPermissionError, c.hget, "k1", "f") == (
        "this user has no permissions to run the 'hget' command"
    )
    assert err(c.exc.NoPermissionError, c.acl_whoami) == (
        "this user has no permissions to run the 'acl|whoami' command"
    )
    assert c.publish("c1", "m") == 0
    assert err(c.exc.NoPermissionError, c.publish, "c2", "m") == (
        "this user has no permissions to access one of the channels used as arguments"
    )
    # Inside scripts the script's own texts apply.
    assert "The user executing the script can't run this command or subcommand" in err(
        c.exc.ResponseError, c.eval, "return redis.call('hget', 'k1', 'f')", 0
    )
    assert "can't access at least one of the keys mentioned in the command arguments" in err(
        c.exc.ResponseError, c.eval, "return redis.call('get', 'x')", 0
    )
    # A refused command inside MULTI aborts the transaction.
    pipe = c.pipeline()
    pipe.get("k1").get("x")
    with pytest.raises(c.exc.NoPermissionError) as e:
        pipe.execute()
    assert "no permissions to access one of the keys" in str(e.value)


def test_selectors(acl):
    admin = acl(decode_responses=True)
    admin.execute_command("ACL", "SETUSER", "hank", "on", ">pw", "~k*", "+get", "(~s* +set)")
    c = acl(decode_responses=True, username="hank", password="pw")
    assert c.set("s1", "v") is True
    assert c.get("k1") is None
    assert err(c.exc.NoPermissionError, c.set, "k1", "v") == (
        "this user has no permissions to access one of the keys used as arguments"
    )
    admin.execute_command("ACL", "SETUSER", "hank", "clearselectors")
    assert err(c.exc.NoPermissionError, c.set, "s1", "v") == (
        "this user has no permissions to run the 'set' command"
    )


def test_dryrun(acl):
    r = acl(decode_responses=True)
    r.acl_setuser("ivy", enabled=True, nopass=True, keys=["k*"], channels=["x*"], commands=["+get", "+publish"])
    assert r.acl_dryrun("ivy", "get", "k1") == "OK"
    assert r.acl_dryrun("ivy", "get", "other") == "This user has no permissions to access the 'other' key"
    assert r.acl_dryrun("ivy", "set", "k1", "v") == "This user has no permissions to run the 'set' command"
    assert r.acl_dryrun("ivy", "publish", "ch", "m") == "This user has no permissions to access the 'ch' channel"
    assert err(r.exc.ResponseError, r.acl_dryrun, "nobody", "get", "a") == "User 'nobody' not found"
    assert err(r.exc.ResponseError, r.acl_dryrun, "ivy", "nosuch", "a") == "Command 'nosuch' not found"
    assert err(r.exc.ResponseError, r.acl_dryrun, "ivy", "get") == "wrong number of arguments for 'get' command"


def test_acl_log(acl):
    admin = acl(decode_responses=True)
    admin.acl_log_reset()
    admin.acl_setuser("jack", enabled=True, passwords=["+pw"], keys=["k*"], commands=["+get"])
    c = acl(decode_responses=True, username="jack", password="pw")
    for _ in range(2):
        with pytest.raises(c.exc.NoPermissionError):
            c.get("x")
    with pytest.raises(c.exc.NoPermissionError):
        c.hget("k", "f")
    with pytest.raises(c.exc.AuthenticationError):
        c.auth("bad", username="jack")
    log = admin.acl_log()
    # (redis-py retries a failed AUTH, so its count is not asserted.)
    assert [(e["reason"], e["object"], e["username"]) for e in log] == [
        ("auth", "AUTH", "jack"), ("command", "hget", "jack"), ("key", "x", "jack"),
    ]
    assert [e["count"] for e in log[1:]] == [1, 2]
    key = log[2]
    assert key["context"] == "toplevel" and key["username"] == "jack"
    assert isinstance(key["age-seconds"], float)
    assert key["client-info"]["user"] == "jack" and key["client-info"]["cmd"] == "get"
    assert isinstance(key["client-info"]["id"], int)
    assert len(admin.acl_log(count=1)) == 1
    assert admin.acl_log_reset() is True
    assert admin.acl_log() == []
    assert err(admin.exc.ResponseError, admin.execute_command, "ACL", "LOG", "abc") == (
        "value is not an integer or out of range"
    )


def test_genpass_and_cat(acl):
    r = acl(decode_responses=True)
    assert len(r.acl_genpass()) == 64
    assert len(r.acl_genpass(5)) == 2
    assert all(c in "0123456789abcdef" for c in r.acl_genpass())
    assert err(r.exc.ResponseError, r.execute_command, "ACL", "GENPASS", "0") == (
        "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
    )
    cats = r.acl_cat()
    assert cats[:3] == ["keyspace", "read", "write"] and "scripting" in cats
    hashes = r.acl_cat("hash")
    assert "hget" in hashes and "get" not in hashes
    assert err(r.exc.ResponseError, r.acl_cat, "nosuch") == "Unknown category 'nosuch'"
    assert r.acl_help()[0].startswith("ACL <subcommand>")


def test_requirepass_sets_the_default_password(acl):
    admin = acl()
    admin.config_set("requirepass", PW)
    assert admin.config_get("requirepass") == {"requirepass": PW}
    # Connected clients stay authenticated; new ones need the password.
    assert admin.ping() is True
    # (RESP2: a RESP3 client's HELLO is refused before AUTH can be sent.)
    late = acl(protocol=2)
    with pytest.raises(late.exc.AuthenticationError) as e:
        late.get("k")
    assert "Authentication required" in str(e.value)
    assert late.auth(PW) is True
    assert late.get("k") is None
    with_pw = acl(password=PW)
    assert with_pw.ping() is True
    assert admin.acl_getuser("default")["flags"] == ["on"]
    admin.config_set("requirepass", "")
    assert admin.acl_getuser("default")["flags"] == ["on", "nopass"]


def test_deleting_a_user_disconnects_its_clients(acl):
    admin = acl(decode_responses=True)
    admin.acl_setuser("kate", enabled=True, passwords=["+pw"], commands=["+@all"], keys=["*"])
    c = acl(decode_responses=True, username="kate", password="pw")
    assert c.acl_whoami() == "kate"
    admin.acl_deluser("kate")
    # Its next command reconnects, and the user is gone.
    with pytest.raises(c.exc.AuthenticationError):
        c.ping()


def test_acl_file_commands_need_an_aclfile(acl):
    r = acl()
    for fn in (r.acl_load, r.acl_save):
        assert err(r.exc.ResponseError, fn).startswith(
            "This Redis instance is not configured to use an ACL file."
        )

