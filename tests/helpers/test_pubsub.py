"""redcore.pubsub: the Bus helper on every backend."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import redcore._pubsub
from redcore.pubsub import Bus, Message, PubSub, PubSubWorkerThread, Subscriber, Subscription


def wait_until(cond, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_reexports_the_client_pubsub_classes():
    assert PubSub is redcore._pubsub.PubSub
    assert PubSubWorkerThread is redcore._pubsub.PubSubWorkerThread
    assert Subscription is redcore._pubsub.Subscription
    assert Subscriber is Bus


def test_channel_handlers_get_decoded_json_and_the_channel(make):
    bus = Bus(make())
    got = []

    @bus.on("orders", "refunds")
    def handle(data, channel):
        got.append((channel, data))

    with bus:
        objs = [{"id": 1, "items": ["a", "b"]}, [1, 2.5, None, True], "text", 42, None, {"ünï": "cødé"}]
        for obj in objs:
            assert bus.publish("orders", obj) == 1
        bus.publish("refunds", {"id": 9})
        bus.publish("other", {"id": 0})
        wait_until(lambda: len(got) == len(objs) + 1)
    assert got == [("orders", o) for o in objs] + [("refunds", {"id": 9})]


def test_pattern_handlers_and_channel_handlers_both_fire(make):
    bus = Bus(make(decode_responses=True))
    got = []
    bus.on_pattern("orders.*")(lambda data, channel: got.append(("p", channel, data)))
    bus.on("orders.eu")(lambda data, channel: got.append(("c", channel, data)))
    with bus:
        bus.publish("orders.eu", 1)
        bus.publish("orders.us", 2)
        bus.publish("ordersXus", 3)
        wait_until(lambda: len(got) == 3)
        time.sleep(0.05)
    assert sorted(got) == [("c", "orders.eu", 1), ("p", "orders.eu", 1), ("p", "orders.us", 2)]


@pytest.mark.parametrize("decode", [False, True])
def test_raw_mode(make, decode):
    r = make(decode_responses=decode)
    bus = Bus(r, raw=True)
    got = []
    bus.on("raw")(lambda data, channel: got.append(data))
    bus.on("json", raw=False)(lambda data, channel: got.append(data))
    with bus:
        bus.publish("raw", "not json {")
        bus.publish("json", {"a": 1}, raw=False)
        wait_until(lambda: len(got) == 2)
    assert got == ["not json {" if decode else b"not json {", {"a": 1}]


def test_handler_errors_do_not_stop_delivery(make, caplog):
    errors = []
    bus = Bus(make(), on_error=lambda e, m: errors.append((type(e).__name__, m.channel, m.data)))
    got, seconds = [], []

    @bus.on("jobs")
    def flaky(data, channel):
        if data % 2:
            raise ValueError(f"odd {data}")
        got.append(data)

    @bus.on("jobs", raw=True)
    def second(data, channel):
        seconds.append(data)

    with bus:
        for i in range(6):
            bus.publish("jobs", i)
        bus.publish("jobs", "{broken", raw=True)
        bus.publish("jobs", 8)
        wait_until(lambda: len(seconds) == 8 and len(errors) == 4 and len(got) == 4)
    assert got == [0, 2, 4, 8]
    assert seconds == [b"0", b"1", b"2", b"3", b"4", b"5", b"{broken", b"8"]
    assert errors[:3] == [("ValueError", "jobs", 1), ("ValueError", "jobs", 3), ("ValueError", "jobs", 5)]
    assert errors[3] == ("JSONDecodeError", "jobs", b"{broken")
    assert "odd 1" in caplog.text


def test_stop_is_prompt_and_unsubscribes(make):
    r = make()
    bus = Bus(r)
    bus.on("a")(lambda d, c: None)
    bus.on_pattern("b.*")(lambda d, c: None)
    bus.start()
    assert bus.running
    assert r.publish("a", "1") == 1 and r.publish("b.x", "1") == 1
    start = time.monotonic()
    assert bus.stop(timeout=2)
    assert time.monotonic() - start < 1.5  # it did not wait out the timeout
    assert not bus.running
    wait_until(lambda: r.publish("a", "1") == 0 and r.publish("b.x", "1") == 0)
    assert bus.stop()  # idempotent
    bus.start()  # restartable
    assert r.publish("a", "1") == 1
    bus.stop(timeout=0)
    bus.start()  # waits for the stopping thread, then starts anew
    assert bus.running and r.publish("a", "1") == 1
    assert bus.stop()


def test_stop_from_inside_a_handler(make):
    bus = Bus(make())
    stopped = []
    bus.on("halt")(lambda d, c: stopped.append(bus.stop()))
    bus.start()
    bus.publish("halt", 1)
    wait_until(lambda: not bus.running)
    assert stopped == [False]  # the thread cannot join itself; it exits right after


def test_handlers_added_and_removed_while_running(make):
    r = make()
    bus = Bus(r)
    got = []
    with bus:
        assert r.publish("late", "1") == 0
        bus.on("late")(lambda d, c: got.append(("late", d)))
        assert r.publish("late", "1") == 1  # subscribed when on() returned
        bus.on_pattern("x.*")(lambda d, c: got.append(("x", d)))
        bus.publish("x.y", 2)
        wait_until(lambda: len(got) == 2)
        bus.remove_handler("late")
        wait_until(lambda: r.publish("late", "1") == 0)
        bus.remove_handler("x.*", pattern=True)
        wait_until(lambda: r.publish("x.y", "1") == 0)
    assert got == [("late", 1), ("x", 2)]


def test_async_iteration(make):
    r = make()
    bus = Bus(r)

    async def main():
        out = []
        async with bus.aiter("news", patterns=["alerts.*"]) as sub:
            bus.publish("news", {"n": 1})
            bus.publish("alerts.fire", "hot")
            bus.publish("news", [2])
            async for msg in sub:
                out.append(msg)
                if len(out) == 3:
                    break
        return out

    out = asyncio.run(main())
    assert out == [
        Message("news", {"n": 1}, None, b'{"n": 1}'),
        Message("alerts.fire", "hot", "alerts.*", b'"hot"'),
        Message("news", [2], None, b"[2]"),
    ]
    wait_until(lambda: r.publish("news", "1") == 0)


def test_async_iteration_defaults_to_registered_handlers_and_raw(make):
    r = make(decode_responses=True)
    bus = Bus(r, raw=True)
    bus.on("a")(lambda d, c: None)

    async def main():
        sub = bus.aiter()
        await sub.start()
        r.publish("a", "plain")
        first = await sub.get(timeout=2)
        none = await sub.get(timeout=0.05)
        await sub.aclose()
        return first, none

    first, none = asyncio.run(main())
    assert first == Message("a", "plain", None, "plain") and none is None
    with pytest.raises(ValueError):
        Bus(r).aiter()


def test_async_iteration_is_cancellable(make):
    r = make()
    bus = Bus(r)
    got = []

    async def consume(sub):
        async for msg in sub:
            got.append(msg.data)

    async def main():
        sub = bus.aiter("c")
        await sub.start()
        task = asyncio.create_task(consume(sub))
        bus.publish("c", 1)
        for _ in range(200):
            if got:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(asyncio.to_thread(sub._thread.join, 2), 3)
        return sub

    sub = asyncio.run(main())
    assert got == [1]
    assert not sub._thread.is_alive()
    assert r.publish("c", "1") == 0


def test_bus_stop_closes_its_iterators(make):
    r = make()
    bus = Bus(r)

    async def main():
        sub = bus.aiter("c")
        await sub.start()
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, bus.stop)
        return [m async for m in sub]

    assert asyncio.run(main()) == []
    wait_until(lambda: r.publish("c", "1") == 0)


def test_listener_threads_on_many_buses(make):
    r = make()
    buses = [Bus(make()) for _ in range(3)]
    counts = [0, 0, 0]
    lock = threading.Lock()
    for i, b in enumerate(buses):

        def inc(d, c, i=i):
            with lock:
                counts[i] += d

        b.on("fan")(inc)
        b.start()
    for _ in range(20):
        assert r.publish("fan", "1") == 3
    wait_until(lambda: counts == [20, 20, 20])
    assert all(b.stop() for b in buses)
