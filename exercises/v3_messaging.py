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
    raise NotImplementedError("v3_messaging.publish_event: write it (see the docstring)")


def receive(pubsub: Any, n: int, timeout: float = 2.0) -> List[Dict[str, Any]]:
    """The next ``n`` events (decoded JSON) from a subscribed ``pubsub``,
    skipping subscribe confirmations; fewer if ``timeout`` passes."""
    raise NotImplementedError("v3_messaging.receive: write it (see the docstring)")


def enqueue(r: Any, stream: str, event: Dict[str, Any]) -> str:
    """Appends ``event`` (JSON in field ``data``) to ``stream``; its ID."""
    raise NotImplementedError("v3_messaging.enqueue: write it (see the docstring)")


def process(r: Any, stream: str, group: str, consumer: str, handler: Callable[[Dict[str, Any]], None]) -> int:
    """Reads new entries as ``consumer`` of ``group`` (creating the group,
    from the start of the stream, when missing), calls ``handler`` on each
    and acknowledges the ones it handled without raising. Returns how many
    were acknowledged."""
    raise NotImplementedError("v3_messaging.process: write it (see the docstring)")
