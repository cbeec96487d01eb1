"""Scenario 2: inventory across warehouses, no overselling, alerts."""

import threading


def test_levels_and_total(impl, redis):
    impl.add_stock(redis, "sku1", "paris", 10)
    impl.add_stock(redis, "sku1", "oslo", 4)
    assert impl.add_stock(redis, "sku1", "paris", 5) == 15
    assert impl.levels(redis, "sku1") == {"paris": 15, "oslo": 4}
    assert impl.total(redis, "sku1") == 19


def test_never_oversells_under_concurrency(impl, redis, redcore_factory):
    impl.add_stock(redis, "sku1", "paris", 50)
    wins = []

    def buyer():
        client = redcore_factory()
        for _ in range(20):
            if impl.reserve(client, "sku1", "paris", 1, threshold=0):
                wins.append(1)

    threads = [threading.Thread(target=buyer) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 50 and impl.levels(redis, "sku1")["paris"] == 0


def test_refuses_more_than_available(impl, redis):
    impl.add_stock(redis, "sku1", "oslo", 2)
    assert impl.reserve(redis, "sku1", "oslo", 3) is False
    assert impl.levels(redis, "sku1")["oslo"] == 2


def test_low_stock_alert_is_published(impl, redis, redcore_factory):
    sub = redcore_factory().pubsub()
    sub.subscribe("alerts")
    impl.add_stock(redis, "sku9", "oslo", 8)
    assert impl.reserve(redis, "sku9", "oslo", 2, threshold=5) is True
    assert impl.alerts(redis) == []
    assert impl.reserve(redis, "sku9", "oslo", 2, threshold=5) is True
    assert impl.alerts(redis) == [{"sku": "sku9", "warehouse": "oslo", "left": 4}]
    msg = None
    for _ in range(20):
        msg = sub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if msg:
            break
    assert msg is not None, "the alert must also be published on 'alerts'"
    sub.close()
