"""Version 3: pub/sub messaging, and messages that need acknowledging.

Pub/sub delivers to whoever listens now; a stream with a consumer group
keeps each message until a consumer acknowledges it, so a failed one can be
retried.
"""

import json
import time
from typing import Any, Callable, Dict, List


def publish_event(r: Any, channel: str, event: Dict[str, Any]) -> int:
    """Publishes ``event`` as JSON; returns how many subscribers got it."""
    return int(r.publish(channel, json.dumps(event)))


def receive(pubsub: Any, n: int, timeout: float = 2.0) -> List[Dict[str, Any]]:
    """The next ``n`` events (decoded JSON) from a subscribed ``pubsub``,
    skipping subscribe confirmations; fewer if ``timeout`` passes."""
    out: List[Dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        msg = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if msg is not None and msg["type"] in ("message", "pmessage"):
            out.append(json.loads(msg["data"]))
    return out


def enqueue(r: Any, stream: str, event: Dict[str, Any]) -> str:
    """Appends ``event`` (JSON in field ``data``) to ``stream``; its ID."""
    sid = r.xadd(stream, {"data": json.dumps(event)})
    return sid.decode() if isinstance(sid, bytes) else sid


def process(r: Any, stream: str, group: str, consumer: str, handler: Callable[[Dict[str, Any]], None]) -> int:
    """Reads new entries as ``consumer`` of ``group`` (creating the group,
    from the start of the stream, when missing), calls ``handler`` on each
    and acknowledges the ones it handled without raising. Returns how many
    were acknowledged."""
    try:
        r.xgroup_create(stream, group, id="0", mkstream=True)
    except Exception as e:  # the group exists already
        if "BUSYGROUP" not in str(e):
            raise
    acked = 0
    for _, entries in r.xreadgroup(group, consumer, {stream: ">"}, count=100) or []:
        for sid, fields in entries:
            data = fields.get(b"data", fields.get("data"))
            try:
                handler(json.loads(data))
            except Exception:
                continue  # stays pending for a retry
            acked += r.xack(stream, group, sid)
    return acked
