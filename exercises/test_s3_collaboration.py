"""Scenario 3: collaborative editing with optimistic concurrency."""

import threading


def test_edits_and_history(impl, redis):
    assert impl.open_document(redis, "d1") == (0, "")
    assert impl.apply_edit(redis, "d1", 0, "Hello", "ada") == 1
    assert impl.apply_edit(redis, "d1", 1, "Hello world", "bob") == 2
    assert impl.open_document(redis, "d1") == (2, "Hello world")
    assert [(h["rev"], h["author"]) for h in impl.history(redis, "d1")] == [(1, "ada"), (2, "bob")]


def test_stale_edit_is_a_conflict(impl, redis):
    impl.apply_edit(redis, "d1", 0, "v1", "ada")
    impl.apply_edit(redis, "d1", 1, "v2 by ada", "ada")
    assert impl.apply_edit(redis, "d1", 1, "v2 by bob", "bob") is None
    assert impl.open_document(redis, "d1") == (2, "v2 by ada")


def test_concurrent_editors_never_lose_an_update(impl, redis, redcore_factory):
    assert impl.open_document(redis, "d1") == (0, "")
    def editor(name):
        c = redcore_factory()
        for i in range(10):
            while True:
                rev, text = impl.open_document(c, "d1")
                if impl.apply_edit(c, "d1", rev, text + name[0], name) is not None:
                    break

    threads = [threading.Thread(target=editor, args=(n,)) for n in ("ada", "bob", "cy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rev, text = impl.open_document(redis, "d1")
    assert rev == 30 and sorted(text) == sorted("a" * 10 + "b" * 10 + "c" * 10)
    assert [h["rev"] for h in impl.history(redis, "d1")] == list(range(1, 31))


def test_changes_are_published(impl, redis, redcore_factory):
    sub = redcore_factory().pubsub()
    sub.subscribe("doc:d1:changes")
    impl.apply_edit(redis, "d1", 0, "hi", "ada")
    msg = None
    for _ in range(20):
        msg = sub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if msg:
            break
    assert msg is not None and b'"rev": 1' in msg["data"]
    sub.close()
