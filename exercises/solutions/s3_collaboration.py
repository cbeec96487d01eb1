"""Scenario 3: collaborative editing.

A document is a hash ``doc:<id>`` with its ``text`` and ``rev`` (revision
number). An edit names the revision it was based on; it applies only if
that is still the current one (optimistic concurrency with WATCH), so two
editors never silently overwrite each other: the loser gets a conflict and
rebases. Every revision is kept in the list ``doc:<id>:history``, and each
change is published on ``doc:<id>:changes`` for the other clients.
"""

import json
from typing import Any, List, Optional, Tuple


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else v


def open_document(r: Any, doc: str) -> Tuple[int, str]:
    """``(rev, text)`` of the document; ``(0, "")`` for a new one."""
    rev, text = r.hmget(f"doc:{doc}", ["rev", "text"])
    return (int(rev), _s(text)) if rev is not None else (0, "")


def apply_edit(r: Any, doc: str, base_rev: int, text: str, author: str) -> Optional[int]:
    """Replaces the text if the document is still at ``base_rev``: returns
    the new revision; None on a conflict (someone saved first)."""
    key = f"doc:{doc}"
    with r.pipeline() as pipe:
        try:
            pipe.watch(key)
            current = pipe.hget(key, "rev")
            if int(current or 0) != base_rev:
                return None
            rev = base_rev + 1
            change = json.dumps({"rev": rev, "author": author, "text": text})
            pipe.multi()
            pipe.hset(key, mapping={"rev": rev, "text": text})
            pipe.rpush(f"{key}:history", change)
            pipe.publish(f"{key}:changes", change)
            pipe.execute()
            return rev
        except Exception as e:
            if type(e).__name__ == "WatchError":
                return None
            raise


def history(r: Any, doc: str) -> List[dict]:
    """Every revision, oldest first: ``{"rev", "author", "text"}``."""
    return [json.loads(x) for x in r.lrange(f"doc:{doc}:history", 0, -1)]
