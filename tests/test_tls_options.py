"""redis-py's TLS options beyond the basics (``ssl_ca_path``,
``ssl_ca_data``, ``ssl_min_version``, ``ssl_ciphers``, ``ssl_password``)
on redcore's network client, against a TLS redis-server; redis-py is the
oracle where the outcome is visible (connects, or fails the handshake).

redcore's TLS is rustls: it speaks TLS 1.2 and 1.3 only, names TLS 1.2
cipher suites by their OpenSSL names (TLS 1.3 suites stay on, as with
Python's ``set_ciphers``), and cannot decrypt private keys. What it cannot
honour raises a clear error instead of being ignored."""

import os
import shutil
import ssl
import subprocess
from typing import Any, Iterator

import pytest
import redis

import redcore
from conftest import _free_port
from test_remote import NO_RETRY, Server, certs, tls_server  # noqa: F401  (certs is a fixture)


@pytest.fixture(scope="module")
def server12(certs: str) -> Iterator[Any]:  # noqa: F811
    """A TLS server that speaks TLS 1.2 only, with two cipher suites."""
    s = Server(
        "--tls-port", str(_free_port()),
        "--tls-cert-file", os.path.join(certs, "server.crt"),
        "--tls-key-file", os.path.join(certs, "server.key"),
        "--tls-ca-cert-file", os.path.join(certs, "ca.crt"),
        "--tls-auth-clients", "optional",
        "--tls-protocols", "TLSv1.2",
        "--tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def server(certs: str) -> Iterator[Any]:  # noqa: F811
    s = tls_server(certs, "optional")
    yield s
    s.stop()


def port(s: Any) -> int:
    return int(s.extra[1])


def both(s: Any, **kwargs: Any) -> list:
    """A redcore client and a redis-py client with the same arguments."""
    kw = dict(host="localhost", port=port(s), ssl=True, **kwargs)
    return [redcore.Redis(retry=NO_RETRY, **kw), redis.Redis(retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0), **kw)]


def test_ca_path(certs: str, server: Any) -> None:  # noqa: F811
    d = os.path.join(certs, "capath")
    os.makedirs(d, exist_ok=True)
    ca = os.path.join(certs, "ca.crt")
    h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", ca], capture_output=True, text=True, check=True)
    shutil.copy(ca, os.path.join(d, h.stdout.strip() + ".0"))
    for c in both(server, ssl_ca_path=d):
        assert c.ping() is True
    # A directory without the CA: verification fails.
    empty = os.path.join(certs, "empty-capath")
    os.makedirs(empty, exist_ok=True)
    for c in both(server, ssl_ca_path=empty):
        with pytest.raises((redcore.ConnectionError, redis.ConnectionError)):
            c.ping()


def test_ca_data_pem_and_der(certs: str, server: Any) -> None:  # noqa: F811
    with open(os.path.join(certs, "ca.crt")) as f:
        pem = f.read()
    der = ssl.PEM_cert_to_DER_cert(pem)
    for data in (pem, der):
        for c in both(server, ssl_ca_data=data):
            assert c.ping() is True
    with open(os.path.join(certs, "client.crt")) as f:
        wrong = f.read()
    for c in both(server, ssl_ca_data=wrong):
        with pytest.raises((redcore.ConnectionError, redis.ConnectionError)):
            c.ping()


def test_min_version(certs: str, server: Any, server12: Any) -> None:  # noqa: F811
    ca = os.path.join(certs, "ca.crt")
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        for c in both(server, ssl_ca_certs=ca, ssl_min_version=version):
            assert c.ping() is True
    for c in both(server12, ssl_ca_certs=ca, ssl_min_version=ssl.TLSVersion.TLSv1_2):
        assert c.ping() is True
    # The server speaks TLS 1.2 only: a client that demands 1.3 fails.
    for c in both(server12, ssl_ca_certs=ca, ssl_min_version=ssl.TLSVersion.TLSv1_3):
        with pytest.raises((redcore.ConnectionError, redis.ConnectionError)):
            c.ping()
    with pytest.raises(ValueError, match="SSLv3 is not supported"):
        redcore.Redis(host="localhost", port=port(server), ssl=True, ssl_min_version=ssl.TLSVersion.SSLv3)


def test_ciphers(certs: str, server12: Any) -> None:  # noqa: F811
    ca = os.path.join(certs, "ca.crt")
    for c in both(server12, ssl_ca_certs=ca, ssl_ciphers="ECDHE-RSA-AES256-GCM-SHA384"):
        assert c.ping() is True
    # No suite in common with the server: the handshake fails.
    for c in both(server12, ssl_ca_certs=ca, ssl_ciphers="ECDHE-RSA-CHACHA20-POLY1305"):
        with pytest.raises((redcore.ConnectionError, redis.ConnectionError)):
            c.ping()
    # OpenSSL's cipher-string language is not rustls's: a clear error.
    with pytest.raises(redcore.RedisError, match="ssl_ciphers: \"HIGH\" is not supported"):
        redcore.Redis(host="localhost", port=port(server12), ssl=True, ssl_ciphers="HIGH:!aNULL")


def test_encrypted_key_is_refused_clearly(certs: str, server: Any) -> None:  # noqa: F811
    key = os.path.join(certs, "client.key")
    enc = os.path.join(certs, "client-enc.key")
    subprocess.run(["openssl", "pkey", "-in", key, "-aes256", "-passout", "pass:s3cret", "-out", enc], check=True, capture_output=True)
    ca, crt = os.path.join(certs, "ca.crt"), os.path.join(certs, "client.crt")
    kw = dict(host="localhost", port=port(server), ssl=True, ssl_ca_certs=ca, ssl_certfile=crt, ssl_keyfile=enc, ssl_password="s3cret")
    # redis-py decrypts it; redcore says it cannot.
    assert redis.Redis(**kw).ping() is True
    with pytest.raises(redcore.RedisError, match="is encrypted: redcore's TLS cannot decrypt keys"):
        redcore.Redis(**kw)
    # A password for a key that is not encrypted is not needed.
    kw["ssl_keyfile"] = key
    assert redcore.Redis(**kw).ping() is True


def test_options_reach_the_pool_and_urls(certs: str, server: Any) -> None:  # noqa: F811
    ca = os.path.join(certs, "ca.crt")
    c = redcore.Redis.from_url(f"rediss://localhost:{port(server)}/0", ssl_ca_certs=ca, ssl_min_version=ssl.TLSVersion.TLSv1_3)
    assert c.ping() is True
    assert c.connection_pool.connection_kwargs["ssl_min_version"] == ssl.TLSVersion.TLSv1_3
    pool = redcore.ConnectionPool(connection_class=redcore.SSLConnection, host="localhost", port=port(server), ssl_ca_data=open(ca).read())
    assert redcore.Redis(connection_pool=pool).ping() is True
