"""Redis Cluster's key-to-slot mapping, under redis-py's ``redis.crc`` names.

``key_slot(b"{user:1}:name")`` is the slot (0-16383) a cluster keeps the
key in: CRC16 (XMODEM) of the key's hash tag (the part between the first
``{`` and the next ``}``, when not empty) or of the whole key.
"""

from __future__ import annotations

from binascii import crc_hqx

from . import _redcore
from .typing import EncodedT

REDIS_CLUSTER_HASH_SLOTS = 16384
"""The number of hash slots of a Redis Cluster."""


def key_slot(key: EncodedT, bucket: int = REDIS_CLUSTER_HASH_SLOTS) -> int:
    """The slot of ``key`` (bytes) among ``bucket`` slots."""
    if bucket == REDIS_CLUSTER_HASH_SLOTS:
        return _redcore.key_slot(bytes(key))
    data = bytes(key)
    start = data.find(b"{")
    if start >= 0:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1:end]
    return crc_hqx(data, 0) % bucket


__all__ = ["REDIS_CLUSTER_HASH_SLOTS", "key_slot"]
