"""Collaborative editing: concurrent editors, revisions, live sync (scenario 3).

Data model for document ``<doc>``:

- ``example:collab:<doc>``: a hash with ``body``, ``revision`` (a counter)
  and ``updated_by``;
- ``example:collab:<doc>:history``: a stream with one entry per revision,
  whose id is ``<revision>-0``, so ``XRANGE`` from a revision replays
  everything after it;
- ``example:collab:<doc>:changes``: a pub/sub channel broadcasting each
  change to connected clients as it happens.

Concurrency: an edit ``WATCH``es the document, reads it, and writes the new
body, the bumped revision, the history entry and the broadcast in one
``MULTI``/``EXEC``. If another editor committed in between, EXEC fails
(``WatchError``) and the edit is re-applied on the fresh document, so no
update is ever lost. An editor that worked offline from an old revision is
told about the conflict, catches up from the history and retries.

    python examples/collaborative_editing.py
    python examples/collaborative_editing.py --url redis://localhost:6379/0
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import redcore as redis

CLIENT_OPTIONS = {"decode_responses": True}
PREFIX = "example:collab"
EDITORS, EDITS = 4, 15


def keys(doc: str):
    return f"{PREFIX}:{doc}", f"{PREFIX}:{doc}:history", f"{PREFIX}:{doc}:changes"


def append_line(r: redis.Redis, doc: str, editor: str, text: str, base_revision=None, stats=None):
    """Appends a line; returns the new revision, or None if ``base_revision``
    is given and the document has moved past it (a conflict)."""
    key, history, channel = keys(doc)
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)  # from here on, commands run immediately
                body, revision = pipe.hmget(key, "body", "revision")
                revision = int(revision)
                time.sleep(0.001)  # the editor's "think time": others may commit now
                if base_revision is not None and revision != base_revision:
                    pipe.unwatch()
                    return None
                new = revision + 1
                pipe.multi()  # queue the writes; EXEC applies all or nothing
                pipe.hset(key, mapping={"body": body + text + "\n", "revision": new, "updated_by": editor})
                pipe.xadd(history, {"editor": editor, "text": text}, id=f"{new}-0")
                pipe.publish(channel, json.dumps({"revision": new, "editor": editor, "text": text}))
                pipe.execute()  # raises WatchError if the document changed
                return new
            except redis.WatchError:
                if stats is not None:
                    stats["retries"] += 1  # someone else committed first: redo


class Replica:
    """A client's live copy of the document, kept in sync by the broadcasts,
    filling any gap from the history stream."""

    def __init__(self, r: redis.Redis, doc: str) -> None:
        self.r, self.doc = r, doc
        self.revision, self.body, self.seen = 0, "", []

    def catch_up(self) -> None:
        _, history, _ = keys(self.doc)
        for entry_id, fields in self.r.xrange(history, min=f"{self.revision + 1}-0"):
            self.apply(int(entry_id.split("-")[0]), fields["text"])

    def apply(self, revision: int, text: str) -> None:
        if revision == self.revision + 1:
            self.body += text + "\n"
            self.revision = revision
        elif revision > self.revision + 1:  # missed something: replay history
            self.catch_up()

    def on_message(self, message: dict) -> None:
        change = json.loads(message["data"])
        self.seen.append(change["revision"])
        self.apply(change["revision"], change["text"])


def main(r: redis.Redis) -> None:
    for key in r.scan_iter(match=f"*{PREFIX}*"):  # start clean (re-runnable)
        r.delete(key)
    doc = "notes"
    key, history, channel = keys(doc)
    r.hset(key, mapping={"body": "", "revision": 0, "updated_by": ""})

    replica = Replica(r, doc)
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(**{channel: replica.on_message})
    listener = p.run_in_thread(sleep_time=0.01, daemon=True)
    stats = {"retries": 0}
    try:
        deadline = time.monotonic() + 5
        while r.pubsub_numsub(channel)[0][1] < 1 and time.monotonic() < deadline:
            time.sleep(0.005)

        def editor(name: str) -> None:
            for i in range(EDITS):
                append_line(r, doc, name, f"{name}: line {i}", stats=stats)

        threads = [threading.Thread(target=editor, args=(f"editor{n}",)) for n in range(EDITORS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = EDITORS * EDITS

        # An offline editor drafted a line against revision 3: conflict.
        offline = Replica(r, doc)
        offline.catch_up()
        assert append_line(r, doc, "carol", "carol: offline note", base_revision=3) is None
        assert append_line(r, doc, "carol", "carol: offline note", base_revision=offline.revision) == total + 1

        deadline = time.monotonic() + 5
        while replica.revision < total + 1 and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        listener.stop()
        listener.join(timeout=2)
    assert not listener.is_alive()

    body, revision = r.hmget(key, "body", "revision")
    lines = body.splitlines()
    # No lost update: every edit is in the body, each editor's in its order.
    assert int(revision) == total + 1 and len(lines) == total + 1
    for n in range(EDITORS):
        assert [ln for ln in lines if ln.startswith(f"editor{n}:")] == [f"editor{n}: line {i}" for i in range(EDITS)]
    # The history has one entry per revision, in order.
    assert [e[0] for e in r.xrange(history)] == [f"{v}-0" for v in range(1, total + 2)]
    # The live replica saw every change, in commit order, and matches the server.
    assert replica.seen == list(range(1, total + 2)) and replica.body == body
    print(f"{EDITORS} editors x {EDITS} edits + 1 offline edit -> revision {revision}, "
          f"{stats['retries']} WATCH conflicts retried, replica in sync")
    print("last lines:", lines[-3:])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Collaborative editing with WATCH, streams and pub/sub.")
    parser.add_argument("--url", default="memory://", help="memory:// (embedded) or redis://host:port/db")
    args = parser.parse_args()
    try:
        main(redis.Redis.from_url(args.url, **CLIENT_OPTIONS))
    except redis.ConnectionError as e:
        raise SystemExit(f"cannot reach Redis at {args.url}: {e}")
