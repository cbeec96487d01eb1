"""Version 3: pub/sub messaging with acknowledgements."""


def test_fan_out_to_every_subscriber(impl, redis, redcore_factory):
    subs = [redcore_factory().pubsub() for _ in range(2)]
    for p in subs:
        p.subscribe("orders")
    assert impl.publish_event(redis, "orders", {"id": 1}) == 2
    assert impl.publish_event(redis, "nobody", {"id": 2}) == 0
    for p in subs:
        assert impl.receive(p, 1) == [{"id": 1}]
        p.close()


def test_failed_messages_stay_pending(impl, redis):
    for i in range(3):
        impl.enqueue(redis, "jobs", {"n": i})
    seen = []

    def handler(event):
        seen.append(event["n"])
        if event["n"] == 1:
            raise ValueError("boom")

    assert impl.process(redis, "jobs", "workers", "w1", handler) == 2
    assert seen == [0, 1, 2]
    assert redis.xpending("jobs", "workers")["pending"] == 1, "the failed message must stay pending"
    assert impl.process(redis, "jobs", "workers", "w2", handler) == 0, "entries are delivered once per group"
