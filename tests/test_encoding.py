"""Arguments are encoded exactly as redis-py encodes them."""

import random
import struct

import pytest

from redcore._redcore import _float_repr


def test_float_arguments_use_python_repr():
    rng = random.Random(1)
    values = [0.1, 1e16, 1e15, 1.5e-7, 123.0, 1e-5, 0.0001, 1e300, 5e-324, -0.0, 2.0**60, 1e22]
    for _ in range(50_000):
        values.append(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
        values.append(rng.random() * 10 ** rng.randint(-30, 30))
    for v in values:
        if v == v:
            assert _float_repr(v) == repr(v), v


@pytest.mark.parametrize("value", [0, -1, 2**63 - 1, 2**64, -(2**70), 1.5, 1e-7, float("inf"), b"\x00", "\u00e9"])
def test_values_round_trip_like_redis_py(r, value):
    r.set("k", value)
    expected = value if isinstance(value, bytes) else (value.encode() if isinstance(value, str) else repr(value).encode())
    assert r.get("k") == expected
