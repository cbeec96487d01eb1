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
import tempfile
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


@pytest.fixture(scope="module")
def crl_certs() -> Iterator[str]:
    """A CA fit to sign CRLs (OpenSSL wants its keyUsage to say so), a
    server certificate from it, and three CA bundles: ``ca+empty.pem`` (a
    CRL revoking nothing), ``ca+revoked.pem`` (a CRL revoking the server's
    certificate) and ``ca.crt`` (no CRL)."""
    d = tempfile.mkdtemp(prefix="redcore-crl-")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=redcore CRL test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=server")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "server.ext")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = index.txt\n"
                "crlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\n")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "crlnumber"), "w") as f:
        f.write("01\n")
    ca = ["ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt"]
    run(*ca, "-gencrl", "-out", "empty.crl")
    run(*ca, "-revoke", "server.crt")
    run(*ca, "-gencrl", "-out", "revoked.crl")
    with open(os.path.join(d, "ca.crt")) as f:
        ca_pem = f.read()
    for name in ("empty", "revoked"):
        with open(os.path.join(d, f"{name}.crl")) as f:
            crl = f.read()
        with open(os.path.join(d, f"ca+{name}.pem"), "w") as f:
            f.write(ca_pem + crl)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_crl_checks_through_verify_flags(crl_certs: str) -> None:
    good, revoked, bare = (os.path.join(crl_certs, n) for n in ("ca+empty.pem", "ca+revoked.pem", "ca.crt"))
    server = tls_server(crl_certs, "optional")
    try:
        _check_crls(server, good, revoked, bare)
    finally:
        server.stop()


def _check_crls(server: Any, good: str, revoked: str, bare: str) -> None:
    for flag in (ssl.VERIFY_CRL_CHECK_LEAF, ssl.VERIFY_CRL_CHECK_CHAIN):
        for c in both(server, ssl_ca_certs=good, ssl_include_verify_flags=[flag]):
            assert c.ping() is True
        # The server's certificate is revoked: the handshake fails.
        for c in both(server, ssl_ca_certs=revoked, ssl_include_verify_flags=[flag]):
            with pytest.raises((redcore.ConnectionError, redis.ConnectionError)):
                c.ping()
    # Without the CRL flags the CRL is not consulted; a flag both included
    # and excluded is off (redis-py applies include, then exclude).
    for c in both(server, ssl_ca_certs=revoked):
        assert c.ping() is True
    off = dict(ssl_include_verify_flags=[ssl.VERIFY_CRL_CHECK_LEAF], ssl_exclude_verify_flags=[ssl.VERIFY_CRL_CHECK_LEAF])
    for c in both(server, ssl_ca_certs=revoked, **off):
        assert c.ping() is True
    # Flags rustls always applies are accepted.
    for c in both(server, ssl_ca_certs=good, ssl_include_verify_flags=[ssl.VERIFY_X509_STRICT, ssl.VERIFY_X509_PARTIAL_CHAIN]):
        assert c.ping() is True
    # CRLs in ssl_ca_data count too (redcore reads them there as well).
    with open(revoked) as f:
        data = f.read()
    r = redcore.Redis(host="localhost", port=port(server), ssl=True, ssl_ca_data=data, retry=NO_RETRY,
                      ssl_include_verify_flags=[ssl.VERIFY_CRL_CHECK_LEAF])
    with pytest.raises(redcore.ConnectionError):
        r.ping()
    # URLs carry the flags as redis-py's do.
    url = f"rediss://localhost:{port(server)}/0?ssl_include_verify_flags=VERIFY_CRL_CHECK_LEAF"
    with pytest.raises(redcore.ConnectionError):
        redcore.Redis.from_url(url, ssl_ca_certs=revoked, retry=NO_RETRY).ping()
    assert redcore.Redis.from_url(url, ssl_ca_certs=good).ping() is True
    # A CRL check with no CRL anywhere could never pass: said at once.
    with pytest.raises(redcore.RedisError, match="need the CRLs"):
        redcore.Redis(host="localhost", port=port(server), ssl=True, ssl_ca_certs=bare,
                      ssl_include_verify_flags=[ssl.VERIFY_CRL_CHECK_LEAF])


@pytest.mark.parametrize("option, match", [
    (dict(ssl_validate_ocsp=True), "ssl_validate_ocsp cannot be honoured: .* no OCSP"),
    (dict(ssl_validate_ocsp_stapled=True), "ssl_validate_ocsp_stapled cannot be honoured"),
    (dict(ssl_ocsp_context=object()), "ssl_ocsp_context cannot be honoured"),
    (dict(ssl_ocsp_expected_cert="-----BEGIN CERTIFICATE-----"), "ssl_ocsp_expected_cert cannot be honoured"),
    (dict(ssl_exclude_verify_flags=[ssl.VERIFY_X509_STRICT]), "VERIFY_X509_STRICT cannot be turned off"),
    (dict(ssl_exclude_verify_flags=[ssl.VERIFY_X509_PARTIAL_CHAIN]), "VERIFY_X509_PARTIAL_CHAIN cannot be turned off"),
    (dict(ssl_include_verify_flags=[ssl.VERIFY_ALLOW_PROXY_CERTS]), "VERIFY_ALLOW_PROXY_CERTS cannot be honoured"),
    (dict(ssl_include_verify_flags=[0x100000]), "0x100000 cannot be honoured"),
])
def test_tls_options_rustls_cannot_honour_raise(certs: str, server: Any, option: Any, match: str) -> None:  # noqa: F811
    ca = os.path.join(certs, "ca.crt")
    with pytest.raises(redcore.RedisError, match=match):
        redcore.Redis(host="localhost", port=port(server), ssl=True, ssl_ca_certs=ca, **option)
    with pytest.raises(redcore.RedisError, match=match):
        redcore.ConnectionPool(connection_class=redcore.SSLConnection, host="localhost", port=port(server), ssl_ca_certs=ca, **option)
    # Off (False / None) they are what redis-py does by default.
    off = {k: (False if isinstance(v, bool) else None) for k, v in option.items()}
    assert redcore.Redis(host="localhost", port=port(server), ssl=True, ssl_ca_certs=ca, **off).ping() is True


def test_tls_verify_options_without_tls_do_nothing() -> None:
    # As with redis-py, TLS options of a plain TCP or embedded client mean
    # nothing.
    assert redcore.Redis(ssl_validate_ocsp=True).ping() is True
    r = redcore.Redis(host="localhost", port=1, ssl_validate_ocsp=True, ssl_include_verify_flags=[ssl.VERIFY_ALLOW_PROXY_CERTS])
    with pytest.raises(redcore.ConnectionError):
        r.ping()
